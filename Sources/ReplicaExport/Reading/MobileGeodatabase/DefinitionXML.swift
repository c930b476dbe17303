/// A small XML element tree for the catalog's Definition documents (a few kilobytes each).
///
/// Namespace prefixes are dropped from element names (`typens:GPSyncReplica` -> `GPSyncReplica`);
/// attributes are kept; text is entity-decoded. Comments, processing instructions and CDATA are
/// handled; DTDs are not expected and are skipped.
package final class GDBXMLElement {
    let name: String
    var attributes: [String: String] = [:]
    var children: [GDBXMLElement] = []
    var text = ""

    init(name: String) { self.name = name }

    /// Frees the subtree without recursion: ARC would free a chain of nested elements one stack
    /// frame per level, and a hostile document nests as deep as it likes.
    deinit {
        guard !children.isEmpty else { return }
        var pending = children
        children.removeAll()
        while var element = pending.popLast() {
            if isKnownUniquelyReferenced(&element) {
                pending.append(contentsOf: element.children)
                element.children.removeAll()
            }
        }
    }

    /// Deeper documents are refused: real Definition documents nest about ten levels.
    static let maximumDepth = 256

    /// The first direct child named `name`.
    func child(_ name: String) -> GDBXMLElement? { children.first { $0.name == name } }

    /// The direct children named `name`.
    func children(_ name: String) -> [GDBXMLElement] { children.filter { $0.name == name } }

    /// The trimmed text of the first direct child named `name`, nil when absent or empty.
    func string(_ name: String) -> String? {
        guard let t = child(name)?.text.trimmingWhitespace(), !t.isEmpty else { return nil }
        return t
    }

    /// All descendants named `name`, in document order.
    package func descendants(_ name: String) -> [GDBXMLElement] {
        var out: [GDBXMLElement] = []
        // Depth-first with an explicit stack (children pushed in reverse), so document order is kept
        // without recursion.
        var pending: [GDBXMLElement] = children.reversed()
        while let c = pending.popLast() {
            if c.name == name { out.append(c) }
            pending.append(contentsOf: c.children.reversed())
        }
        return out
    }

    /// Parses a document; nil when it is not well-formed enough to build a tree or nests deeper
    /// than ``maximumDepth``.
    package static func parse(_ text: String) -> GDBXMLElement? {
        var parser = MiniXMLParser(bytes: Array(text.utf8))
        return parser.parseDocument()
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

private struct MiniXMLParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() -> GDBXMLElement? {
        var stack: [GDBXMLElement] = []
        var root: GDBXMLElement?
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                if starts("<!--") {
                    guard let end = find("-->", from: i + 4) else { return nil }
                    i = end + 3
                } else if starts("<![CDATA[") {
                    guard let end = find("]]>", from: i + 9) else { return nil }
                    stack.last?.text += String(decoding: bytes[(i + 9)..<end], as: UTF8.self)
                    i = end + 3
                } else if starts("<?") {
                    guard let end = find("?>", from: i + 2) else { return nil }
                    i = end + 2
                } else if starts("<!") {
                    guard let end = find(">", from: i + 2) else { return nil }
                    i = end + 1
                } else if starts("</") {
                    guard let end = find(">", from: i + 2) else { return nil }
                    let name = localName(String(decoding: bytes[(i + 2)..<end], as: UTF8.self).trimmingWhitespace())
                    guard let open = stack.popLast(), open.name == name else { return nil }
                    i = end + 1
                    if stack.isEmpty { root = open }
                } else {
                    guard let element = parseStartTag() else { return nil }
                    let (e, selfClosing) = element
                    stack.last?.children.append(e)
                    if selfClosing {
                        if stack.isEmpty { root = e }
                    } else {
                        guard stack.count < GDBXMLElement.maximumDepth else { return nil }
                        stack.append(e)
                    }
                }
            } else {
                let start = i
                while i < bytes.count && bytes[i] != UInt8(ascii: "<") { i += 1 }
                if let top = stack.last {
                    top.text += decodeEntities(bytes[start..<i])
                }
            }
        }
        return stack.isEmpty ? root : nil
    }

    func starts(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard i + u.count <= bytes.count else { return false }
        return Array(bytes[i..<(i + u.count)]) == u
    }

    func find(_ s: String, from: Int) -> Int? {
        let u = Array(s.utf8)
        var j = from
        while j + u.count <= bytes.count {
            if bytes[j] == u[0] && Array(bytes[j..<(j + u.count)]) == u { return j }
            j += 1
        }
        return nil
    }

    func localName(_ qualified: String) -> String {
        if let colon = qualified.lastIndex(of: ":") { return String(qualified[qualified.index(after: colon)...]) }
        return qualified
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    mutating func parseStartTag() -> (GDBXMLElement, Bool)? {
        i += 1
        let nameStart = i
        while i < bytes.count && !Self.isSpace(bytes[i]) && bytes[i] != UInt8(ascii: ">") && bytes[i] != UInt8(ascii: "/") { i += 1 }
        guard i < bytes.count, i > nameStart else { return nil }
        let element = GDBXMLElement(name: localName(String(decoding: bytes[nameStart..<i], as: UTF8.self)))
        while i < bytes.count {
            while i < bytes.count && Self.isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ">") { i += 1; return (element, false) }
            if bytes[i] == UInt8(ascii: "/") {
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ">") else { return nil }
                i += 2
                return (element, true)
            }
            let attrStart = i
            while i < bytes.count && bytes[i] != UInt8(ascii: "=") && !Self.isSpace(bytes[i]) { i += 1 }
            let attrName = String(decoding: bytes[attrStart..<i], as: UTF8.self)
            while i < bytes.count && Self.isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return nil }
            i += 1
            while i < bytes.count && Self.isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { return nil }
            let quote = bytes[i]
            i += 1
            let valueStart = i
            while i < bytes.count && bytes[i] != quote { i += 1 }
            guard i < bytes.count else { return nil }
            element.attributes[attrName] = decodeEntities(bytes[valueStart..<i])
            i += 1
        }
        return nil
    }

    func decodeEntities(_ slice: ArraySlice<UInt8>) -> String {
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var j = slice.startIndex
        while j < slice.endIndex {
            let b = slice[j]
            if b == UInt8(ascii: "&"), let semi = slice[j...].prefix(12).firstIndex(of: UInt8(ascii: ";")) {
                let entity = String(decoding: slice[(j + 1)..<semi], as: UTF8.self)
                var replacement: String?
                switch entity {
                case "lt": replacement = "<"
                case "gt": replacement = ">"
                case "amp": replacement = "&"
                case "quot": replacement = "\""
                case "apos": replacement = "'"
                default:
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X"), let v = UInt32(entity.dropFirst(2), radix: 16),
                       let s = Unicode.Scalar(v) {
                        replacement = String(Character(s))
                    } else if entity.hasPrefix("#"), let v = UInt32(entity.dropFirst()), let s = Unicode.Scalar(v) {
                        replacement = String(Character(s))
                    }
                }
                if let replacement {
                    out.append(contentsOf: replacement.utf8)
                    j = semi + 1
                    continue
                }
            }
            out.append(b)
            j += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
