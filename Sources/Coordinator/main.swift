import SweepFile
import SweepReport
import SweepStorage
import SweepWire

CoordinatorCommand.main()
