/// `first, first * factor, first * factor^2, ...` while below `limit` and at most `count`
/// terms, stopping before an overflow: the epochs of hyperband's brackets and ASHA's rungs.
func geometricEpochs(from first: Int, factor: Int, below limit: Int, count: Int = .max) -> [Int] {
    var epochs: [Int] = []
    var epoch = first
    while epochs.count < count, epoch < limit {
        epochs.append(epoch)
        let (next, overflow) = epoch.multipliedReportingOverflow(by: factor)
        if overflow { break }
        epoch = next
    }
    return epochs
}
