import MLPKit

BLASRuntime.ensureFastKernels()
WorkerCommand.main()
