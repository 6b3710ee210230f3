import SweepCore

CoordinatorCommand.main()
