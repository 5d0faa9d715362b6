/// A tiny built-in 5×7 bitmap font for labels (upper-case letters, digits, common
/// punctuation; lower case is drawn as upper case, anything else as `?`). Built in so that
/// contact sheets need no font file (libavfilter's `drawtext` needs one through fontconfig).
public enum BitmapFont {
    /// Glyph cell width in font pixels (5 columns + 1 spacing).
    public static let advance = 6
    /// Glyph height in font pixels.
    public static let glyphHeight = 7

    /// Rows of each glyph, top first; bit 4 is the leftmost column.
    private static let glyphs: [Character: [UInt8]] = {
        let table: [(Character, String)] = [
            ("0", "01110 10001 10011 10101 11001 10001 01110"),
            ("1", "00100 01100 00100 00100 00100 00100 01110"),
            ("2", "01110 10001 00001 00010 00100 01000 11111"),
            ("3", "11111 00010 00100 00010 00001 10001 01110"),
            ("4", "00010 00110 01010 10010 11111 00010 00010"),
            ("5", "11111 10000 11110 00001 00001 10001 01110"),
            ("6", "00110 01000 10000 11110 10001 10001 01110"),
            ("7", "11111 00001 00010 00100 01000 01000 01000"),
            ("8", "01110 10001 10001 01110 10001 10001 01110"),
            ("9", "01110 10001 10001 01111 00001 00010 01100"),
            ("A", "01110 10001 10001 11111 10001 10001 10001"),
            ("B", "11110 10001 10001 11110 10001 10001 11110"),
            ("C", "01110 10001 10000 10000 10000 10001 01110"),
            ("D", "11100 10010 10001 10001 10001 10010 11100"),
            ("E", "11111 10000 10000 11110 10000 10000 11111"),
            ("F", "11111 10000 10000 11110 10000 10000 10000"),
            ("G", "01110 10001 10000 10111 10001 10001 01111"),
            ("H", "10001 10001 10001 11111 10001 10001 10001"),
            ("I", "01110 00100 00100 00100 00100 00100 01110"),
            ("J", "00111 00010 00010 00010 00010 10010 01100"),
            ("K", "10001 10010 10100 11000 10100 10010 10001"),
            ("L", "10000 10000 10000 10000 10000 10000 11111"),
            ("M", "10001 11011 10101 10101 10001 10001 10001"),
            ("N", "10001 10001 11001 10101 10011 10001 10001"),
            ("O", "01110 10001 10001 10001 10001 10001 01110"),
            ("P", "11110 10001 10001 11110 10000 10000 10000"),
            ("Q", "01110 10001 10001 10001 10101 10010 01101"),
            ("R", "11110 10001 10001 11110 10100 10010 10001"),
            ("S", "01111 10000 10000 01110 00001 00001 11110"),
            ("T", "11111 00100 00100 00100 00100 00100 00100"),
            ("U", "10001 10001 10001 10001 10001 10001 01110"),
            ("V", "10001 10001 10001 10001 10001 01010 00100"),
            ("W", "10001 10001 10001 10101 10101 10101 01010"),
            ("X", "10001 10001 01010 00100 01010 10001 10001"),
            ("Y", "10001 10001 10001 01010 00100 00100 00100"),
            ("Z", "11111 00001 00010 00100 01000 10000 11111"),
            (" ", "00000 00000 00000 00000 00000 00000 00000"),
            (".", "00000 00000 00000 00000 00000 01100 01100"),
            (",", "00000 00000 00000 00000 01100 00100 01000"),
            (":", "00000 01100 01100 00000 01100 01100 00000"),
            (";", "00000 01100 01100 00000 01100 00100 01000"),
            ("-", "00000 00000 00000 11111 00000 00000 00000"),
            ("_", "00000 00000 00000 00000 00000 00000 11111"),
            ("+", "00000 00100 00100 11111 00100 00100 00000"),
            ("=", "00000 00000 11111 00000 11111 00000 00000"),
            ("/", "00000 00001 00010 00100 01000 10000 00000"),
            ("\\", "00000 10000 01000 00100 00010 00001 00000"),
            ("(", "00010 00100 01000 01000 01000 00100 00010"),
            (")", "01000 00100 00010 00010 00010 00100 01000"),
            ("[", "01110 01000 01000 01000 01000 01000 01110"),
            ("]", "01110 00010 00010 00010 00010 00010 01110"),
            ("%", "11000 11001 00010 00100 01000 10011 00011"),
            ("#", "01010 01010 11111 01010 11111 01010 01010"),
            ("!", "00100 00100 00100 00100 00100 00000 00100"),
            ("?", "01110 10001 00001 00010 00100 00000 00100"),
            ("'", "01100 00100 01000 00000 00000 00000 00000"),
            ("\"", "01010 01010 01010 00000 00000 00000 00000"),
            ("<", "00010 00100 01000 10000 01000 00100 00010"),
            (">", "01000 00100 00010 00001 00010 00100 01000"),
            ("*", "00000 00100 10101 01110 10101 00100 00000"),
            ("|", "00100 00100 00100 00100 00100 00100 00100"),
            ("@", "01110 10001 00001 01101 10101 10101 01110"),
            ("&", "01100 10010 10100 01000 10101 10010 01101"),
            ("^", "00100 01010 10001 00000 00000 00000 00000"),
            ("~", "00000 00000 01000 10101 00010 00000 00000"),
        ]
        var result: [Character: [UInt8]] = [:]
        for (ch, rows) in table {
            result[ch] = rows.split(separator: " ").map { UInt8($0, radix: 2)! }
        }
        return result
    }()

    /// The rows of a character's glyph (lower case drawn as upper case, unknown as `?`).
    static func rows(for character: Character) -> [UInt8] {
        if let g = glyphs[character] { return g }
        if let upper = character.uppercased().first, let g = glyphs[upper] { return g }
        return glyphs["?"]!
    }

    /// Width in pixels of `text` drawn at `scale`.
    public static func width(of text: String, scale: Int) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }

    /// Draws `text` into a packed RGB24 buffer with its top-left corner at (x, y), clipped to
    /// the rectangle `clip` (x0, y0, x1, y1 exclusive) and to the image.
    public static func draw(_ text: String, into pixels: inout [UInt8], imageWidth: Int, imageHeight: Int,
                     x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8),
                     clip: (Int, Int, Int, Int)) {
        let x0 = max(0, clip.0), y0 = max(0, clip.1)
        let x1 = min(imageWidth, clip.2), y1 = min(imageHeight, clip.3)
        var penX = x
        for ch in text {
            let rows = BitmapFont.rows(for: ch)
            for (r, bits) in rows.enumerated() where bits != 0 {
                for c in 0..<5 where bits & (1 << (4 - c)) != 0 {
                    for dy in 0..<scale {
                        let py = y + r * scale + dy
                        if py < y0 || py >= y1 { continue }
                        for dx in 0..<scale {
                            let px = penX + c * scale + dx
                            if px < x0 || px >= x1 { continue }
                            let i = 3 * (py * imageWidth + px)
                            pixels[i] = color.0; pixels[i + 1] = color.1; pixels[i + 2] = color.2
                        }
                    }
                }
            }
            penX += advance * scale
            if penX >= x1 { break }
        }
    }
}
