use crate::CoreError;
use std::cmp::Ordering;
use std::fmt;

/// An exact rational number `num/den` with `den > 0`, kept reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational {
    num: i64,
    den: i64,
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a.max(1)
}

impl Rational {
    /// Builds `num/den`, reduced to lowest terms.
    ///
    /// # Errors
    /// [`CoreError::ZeroDenominator`] when `den == 0`.
    pub fn new(num: i64, den: i64) -> Result<Self, CoreError> {
        if den == 0 {
            return Err(CoreError::ZeroDenominator { num, den });
        }
        let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
        let g = gcd(num, den);
        Ok(Self {
            num: num / g,
            den: den / g,
        })
    }

    /// The integer `n` as a rational.
    pub const fn from_int(n: i64) -> Self {
        Self { num: n, den: 1 }
    }

    /// Numerator (sign carrier).
    pub const fn num(self) -> i64 {
        self.num
    }

    /// Denominator (always positive).
    pub const fn den(self) -> i64 {
        self.den
    }

    /// Lossy conversion for reports and manifests only.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Self) -> Ordering {
        (i128::from(self.num) * i128::from(other.den))
            .cmp(&(i128::from(other.num) * i128::from(self.den)))
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// Ticks per second of a track's clock (the MP4 `timescale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeBase(u32);

impl TimeBase {
    /// A clock of `ticks_per_second` ticks.
    ///
    /// # Errors
    /// [`CoreError::ZeroDenominator`] when `ticks_per_second == 0`.
    pub fn new(ticks_per_second: u32) -> Result<Self, CoreError> {
        if ticks_per_second == 0 {
            return Err(CoreError::ZeroDenominator { num: 1, den: 0 });
        }
        Ok(Self(ticks_per_second))
    }

    /// Ticks per second.
    pub const fn ticks_per_second(self) -> u32 {
        self.0
    }

    /// Rescales `ticks` of this clock to `other`, rounding to nearest (half away from zero).
    pub fn rescale(self, ticks: i64, other: TimeBase) -> i64 {
        rescale_round(ticks, i64::from(other.0), i64::from(self.0))
    }

    /// `ticks` of this clock as seconds, for reports only.
    pub fn seconds(self, ticks: i64) -> f64 {
        ticks as f64 / f64::from(self.0)
    }

    /// `ticks` of this clock as an exact rational number of seconds.
    pub fn to_rational(self, ticks: i64) -> Rational {
        // den is a non-zero u32, so construction cannot fail.
        Rational::new(ticks, i64::from(self.0)).unwrap_or(Rational::from_int(0))
    }
}

/// `a * b / c` rounded to nearest, computed in 128 bits so it cannot overflow for any
/// timestamp a container can express.
pub fn rescale_round(a: i64, b: i64, c: i64) -> i64 {
    let n = i128::from(a) * i128::from(b);
    let c = i128::from(c.max(1));
    let q = if n >= 0 {
        (n + c / 2) / c
    } else {
        -((-n + c / 2) / c)
    };
    q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rational_reduces_and_orders() {
        let a = Rational::new(30000, 1001).unwrap();
        let b = Rational::new(60, 2).unwrap();
        assert_eq!((b.num(), b.den()), (30, 1));
        assert!(a < b);
        assert_eq!(Rational::new(2, -4).unwrap(), Rational::new(-1, 2).unwrap());
        assert!(Rational::new(1, 0).is_err());
    }

    #[test]
    fn rescale_rounds_to_nearest() {
        let tb90k = TimeBase::new(90_000).unwrap();
        let tb1001 = TimeBase::new(30_000).unwrap();
        assert_eq!(tb1001.rescale(1001, tb90k), 3003);
        assert_eq!(TimeBase::new(3).unwrap().rescale(1, tb90k), 30_000);
        assert_eq!(
            TimeBase::new(1000)
                .unwrap()
                .rescale(-1, TimeBase::new(3).unwrap()),
            0
        );
        assert_eq!(rescale_round(-5, 1, 2), -3);
    }
}
