import CGDAL
import Foundation

extension GDALCoordinateTransformation {
    /// Transforms many vertices with one `OCTTransform` call (PROJ sets up its pipeline once per
    /// call, so a geometry's vertices go together). Z is transformed too; M is carried unchanged.
    /// nil when any vertex cannot be transformed (outside the target's area of use, say).
    func transform(points: [Vertex]) -> [Vertex]? {
        guard !points.isEmpty else { return [] }
        var xs = points.map(\.x), ys = points.map(\.y), zs = points.map(\.z)
        let ok = GDALErrorScope.silently {
            OCTTransform(handle, Int32(clamping: points.count), &xs, &ys, &zs)
        }
        guard ok != 0 else { return nil }
        var out = points
        for i in out.indices {
            guard xs[i].isFinite, ys[i].isFinite else { return nil }
            out[i].x = xs[i]
            out[i].y = ys[i]
            out[i].z = zs[i]
        }
        return out
    }
}
