/// The features written into one dataset, grouped into transactions of a profile's size
/// (``WriterProfile/featuresPerTransaction``) as ogr2ogr's `-gt` groups them: a driver that
/// otherwise commits each feature on its own (GDAL's GPKG: a rollback journal created, written
/// and removed per feature) then commits once per transaction.
///
/// Every layer writer of the dataset shares one (``GDALLayerWriter/transactions``): a transaction
/// is opened before the first feature written, committed once it holds `size` features, at the
/// end of each layer and before the dataset gets a new layer (``commit()``), and when the dataset
/// is closed. An abort rolls back what is open (``rollback()``; a dataset dropped unclosed does
/// the same), and the staged files are removed with it: nothing of an interrupted export remains.
final class TransactionBatches {
    let dataset: GDALOutputDataset
    /// The most features one transaction holds.
    let size: Int
    /// Features written in the open transaction.
    private(set) var pending = 0
    /// Transactions committed so far (those holding no feature are not opened, so not counted).
    private(set) var commits = 0

    init(dataset: GDALOutputDataset, size: Int) {
        precondition(size > 0, "a transaction holds at least one feature")
        self.dataset = dataset
        self.size = size
    }

    /// Before a feature is written: opens a transaction where none is open.
    func willWrite() throws {
        guard !dataset.inTransaction else { return }
        try dataset.startTransaction()
        pending = 0
    }

    /// After a feature was written: commits the transaction once it is full.
    func didWrite() throws {
        pending += 1
        if pending >= size { try commit() }
    }

    /// Commits the open transaction, however few features it holds; nothing when none is open.
    func commit() throws {
        guard dataset.inTransaction else { return }
        try dataset.commitTransaction()
        pending = 0
        commits += 1
    }

    /// Undoes the open transaction (an abort); what GDAL says is moot then.
    func rollback() {
        try? dataset.rollbackTransaction()
        pending = 0
    }
}
