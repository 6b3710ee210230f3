import MLPKit

BLASRuntime.ensureFastKernels()
print(BLASRuntime.summary)
