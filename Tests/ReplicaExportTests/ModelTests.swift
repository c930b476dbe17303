import Testing
@testable import ReplicaExport

@Suite struct ModelTests {
    @Test func fieldTypeStorageMatchesValueKinds() {
        #expect(FieldType.smallInteger.storage == .int16)
        #expect(FieldType.globalID.storage == .guid)
        #expect(FieldType.single.storage == .float32)
    }

    @Test func layerNameDefaultsToLayerId() {
        #expect(LayerSchema(id: 3, schemaSource: .inferred).name == "layer_3")
    }
}
