/// Exact conversion of a decimal significand and power of ten to the nearest Double, without the
/// String and `strtod` that `Double(String)` costs per number.
///
/// The Eisel-Lemire algorithm as fast_float implements it (Daniel Lemire, "Number Parsing at a
/// Gigabyte per Second", Software: Practice and Experience 51(8), 2021; Noble Mushtak and Daniel
/// Lemire, "Fast Number Parsing Without Fallback", 2023, which shows that the 128-bit product below
/// always suffices for a significand of at most 64 bits). The table of powers of five is generated
/// into PowersOfFive.swift by scripts/generate-powers-of-five.py.
enum DecimalToDouble {
    /// The Double nearest to `mantissa` × 10^`exponent10` (ties to even), negated when `negative`;
    /// exactly what a correctly rounding parser such as `strtod` returns for that decimal, including
    /// subnormals, zero for values below half the smallest subnormal and infinity for values beyond
    /// `Double.greatestFiniteMagnitude`.
    ///
    /// nil when `exponent10` is outside `smallestPowerOfTen...largestPowerOfTen`, where the table
    /// ends; the caller then asks the library parser.
    static func eiselLemire(mantissa: UInt64, exponent10 q: Int, negative: Bool) -> Double? {
        guard q >= smallestPowerOfTen && q <= largestPowerOfTen else { return nil }
        let sign: UInt64 = negative ? 1 &<< 63 : 0
        if mantissa == 0 { return Double(bitPattern: sign) }

        // Normalize the significand so that its top bit is set: the product's top bits then hold
        // the 54 bits (53 plus one for rounding) the result needs, give or take one.
        let leadingZeros = mantissa.leadingZeroBitCount
        let w = mantissa &<< UInt64(leadingZeros)
        let index = 2 &* (q &- smallestPowerOfTen)
        let (high, low) = powersOfFive128.withUnsafeBufferPointer { table -> (UInt64, UInt64) in
            var product = w.multipliedFullWidth(by: table[index])
            // That used the power's high word only. Its low word adds less than 2^64 to the
            // 128-bit product, which can reach the 55 bits kept only when the high word's bits
            // below them are all ones: then add it in.
            if product.high & roundingBitsMask == roundingBitsMask {
                let lower = w.multipliedFullWidth(by: table[index &+ 1])
                let (sum, carry) = product.low.addingReportingOverflow(lower.high)
                product.low = sum
                if carry { product.high &+= 1 }
            }
            return (product.high, product.low)
        }

        let upperBit = Int(truncatingIfNeeded: high &>> 63)
        let shift = upperBit &+ 64 &- mantissaExplicitBits &- 3
        var m = high &>> UInt64(shift)
        // The biased binary exponent: floor(log2(10^q)) from the decimal exponent, less the
        // normalization shift.
        var power2 = binaryPower(q) &+ upperBit &- leadingZeros &- minimumExponent

        if power2 <= 0 {
            // Subnormal (or zero): shift the significand down to the fixed minimum exponent. A
            // subnormal cannot be an exact halfway case with at most 19 digits, so rounding up on
            // the extra bit is right.
            if 1 &- power2 >= 64 { return Double(bitPattern: sign) }
            m &>>= UInt64(1 &- power2)
            m &+= m & 1
            m &>>= 1
            // Rounding up may have reached the smallest normal number, 2^52 with exponent 1; the
            // bit pattern is the same either way.
            return Double(bitPattern: sign | m)
        }

        // Exactly halfway between two doubles (possible only for q in minExponentRoundToEven...
        // maxExponentRoundToEven) shows as all-zero bits shifted out and a low word of at most 1
        // (the 1 from the rounded-up reciprocal when q < 0): then round to even instead of up.
        if low <= 1 && q >= minExponentRoundToEven && q <= maxExponentRoundToEven && m & 3 == 1
            && (m &<< UInt64(shift)) == high {
            m &= ~1
        }
        m &+= m & 1
        m &>>= 1
        if m >= (2 as UInt64) &<< UInt64(mantissaExplicitBits) {
            // Rounding carried into a new bit: 2^53 becomes 2^52 at the next exponent.
            m = 1 &<< UInt64(mantissaExplicitBits)
            power2 &+= 1
        }
        m &= ~((1 as UInt64) &<< UInt64(mantissaExplicitBits))
        if power2 >= infinitePower { return Double(bitPattern: sign | UInt64(infinitePower) &<< 52) }
        return Double(bitPattern: sign | UInt64(truncatingIfNeeded: power2) &<< 52 | m)
    }

    /// floor(q · log2(10)) + 63 in integer arithmetic, exact for -400 < q < 350 (fast_float's
    /// `detail::power`).
    @inline(__always)
    private static func binaryPower(_ q: Int) -> Int {
        (((152_170 &+ 65_536) &* q) &>> 16) &+ 63
    }

    /// Explicitly stored significand bits of a Double.
    private static let mantissaExplicitBits = 52
    /// The exponent bias, negated: a biased exponent of 1 is 2^-1022.
    private static let minimumExponent = -1023
    /// The biased exponent of infinity.
    private static let infinitePower = 0x7FF
    /// The low bits of the product's high word below the 55 the result uses
    /// (UInt64.max >> (mantissaExplicitBits + 3)).
    private static let roundingBitsMask: UInt64 = 0x1FF
    /// The only decimal exponents at which a significand below 2^64 can be exactly halfway between
    /// two doubles: the value must fit 54 bits, so for q < 0 the significand must be a multiple of
    /// 5^-q with 53 bits left (5^-q < 2^11, q >= -4), and for q > 0 5^q must fit 54 bits (q <= 23).
    private static let minExponentRoundToEven = -4
    private static let maxExponentRoundToEven = 23
}
