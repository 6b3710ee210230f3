import SweepSearch

/// TPESamplerTests.testTheSequenceOfSeed42IsPinned: the first 12 trials of seed 42 on
/// `TPESamplerTests.mixed` (10 random, 2 TPE), as this implementation first produced them.
enum PinnedSequence {
    static let seed42: [[SearchValue]] = [
        [.float(3.788515629899305e-05), .int(451), .float(0.0), .index(2), .int(1)],
        [.float(4.683138486807334e-05), .int(37), .float(0.15000000000000002), .index(2), .int(2)],
        [.float(6.145811503985886e-05), .int(456), .float(0.5), .index(1), .int(-3)],
        [.float(0.033468242424285755), .int(195), .float(0.30000000000000004), .index(3), .int(-2)],
        [.float(0.0003067664749763561), .int(16), .float(0.05), .index(3), .int(-3)],
        [.float(0.010547353507659733), .int(425), .float(0.5), .index(2), .int(-1)],
        [.float(0.05905379842470755), .int(31), .float(0.45), .index(1), .int(-3)],
        [.float(0.001065109529566188), .int(48), .float(0.5), .index(1), .int(1)],
        [.float(0.14401594013761812), .int(8), .float(0.1), .index(2), .int(2)],
        [.float(0.0003400134749861312), .int(239), .float(0.0), .index(2), .int(1)],
        [.float(0.028014973161503812), .int(38), .float(0.45), .index(2), .int(3)],
        [.float(0.024639344730332725), .int(603), .float(0.4), .index(3), .int(-3)],
    ]
}
