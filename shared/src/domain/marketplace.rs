//! Amazon marketplaces: their ids, the SP-API region that serves them, and the per-marketplace
//! conventions the rest of the code needs (feedback report date format, language, Seller
//! Central host).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::IdError;

/// The SP-API region (and so the endpoint and LWA audience) that serves a marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Region {
    /// North America: `sellingpartnerapi-na.amazon.com`.
    Na,
    /// Europe (with India, Middle East, Turkey, South Africa): `sellingpartnerapi-eu.amazon.com`.
    Eu,
    /// Far East: `sellingpartnerapi-fe.amazon.com`.
    Fe,
}

impl Region {
    pub fn endpoint_host(self) -> &'static str {
        match self {
            Region::Na => "sellingpartnerapi-na.amazon.com",
            Region::Eu => "sellingpartnerapi-eu.amazon.com",
            Region::Fe => "sellingpartnerapi-fe.amazon.com",
        }
    }
}

/// How dates are written in a marketplace's GET_SELLER_FEEDBACK_DATA report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FeedbackDateFormat {
    /// `M/D/YY` (US).
    MonthDayYear,
    /// `D.M.YY` (DE).
    DayMonthYearDotted,
    /// `YY/M/D` (JP).
    YearMonthDay,
    /// `YYYY-MM-DD` (SE).
    Iso,
    /// `D/M/YY` (UK and most others).
    DayMonthYear,
}

macro_rules! marketplaces {
    ($($variant:ident => $id:literal, $code:literal, $region:ident, $date:ident, $lang:literal, $host:literal;)*) => {
        /// A marketplace Feedback Autopilot supports. Parsing an unknown id is an error rather
        /// than a guess, because region and report format follow from it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Marketplace { $($variant),* }

        impl Marketplace {
            pub const ALL: &'static [Marketplace] = &[$(Marketplace::$variant),*];

            /// Amazon's marketplace id, e.g. `ATVPDKIKX0DER`.
            pub fn id(self) -> &'static str {
                match self { $(Marketplace::$variant => $id),* }
            }

            /// Two-letter country code (`UK` rather than `GB`, as Amazon writes it).
            pub fn code(self) -> &'static str {
                match self { $(Marketplace::$variant => $code),* }
            }

            pub fn region(self) -> Region {
                match self { $(Marketplace::$variant => Region::$region),* }
            }

            pub fn feedback_date_format(self) -> FeedbackDateFormat {
                match self { $(Marketplace::$variant => FeedbackDateFormat::$date),* }
            }

            /// ISO 639-1 code of the language buyers mostly write feedback in.
            pub fn language(self) -> &'static str {
                match self { $(Marketplace::$variant => $lang),* }
            }

            /// Seller Central host of the marketplace (for links in seller e-mails).
            pub fn seller_central_host(self) -> &'static str {
                match self { $(Marketplace::$variant => $host),* }
            }

            pub fn from_id(id: &str) -> Result<Self, IdError> {
                match id {
                    $($id => Ok(Marketplace::$variant),)*
                    other => Err(IdError::MarketplaceId(other.to_string())),
                }
            }

            /// Accepts either the marketplace id or the country code (`DE`), for operators.
            pub fn from_id_or_code(value: &str) -> Result<Self, IdError> {
                Self::from_id(value).or_else(|err| {
                    let upper = value.to_ascii_uppercase();
                    Marketplace::ALL.iter().copied().find(|m| m.code() == upper).ok_or(err)
                })
            }
        }
    };
}

marketplaces! {
    Us => "ATVPDKIKX0DER", "US", Na, MonthDayYear, "en", "sellercentral.amazon.com";
    Ca => "A2EUQ1WTGCTBG2", "CA", Na, DayMonthYear, "en", "sellercentral.amazon.ca";
    Mx => "A1AM78C64UM0Y8", "MX", Na, DayMonthYear, "es", "sellercentral.amazon.com.mx";
    Br => "A2Q3Y263D00KWC", "BR", Na, DayMonthYear, "pt", "sellercentral.amazon.com.br";
    Uk => "A1F83G8C2ARO7P", "UK", Eu, DayMonthYear, "en", "sellercentral.amazon.co.uk";
    De => "A1PA6795UKMFR9", "DE", Eu, DayMonthYearDotted, "de", "sellercentral.amazon.de";
    Fr => "A13V1IB3VIYZZH", "FR", Eu, DayMonthYear, "fr", "sellercentral.amazon.fr";
    It => "APJ6JRA9NG5V4", "IT", Eu, DayMonthYear, "it", "sellercentral.amazon.it";
    Es => "A1RKKUPIHCS9HS", "ES", Eu, DayMonthYear, "es", "sellercentral.amazon.es";
    Nl => "A1805IZSGTT6HS", "NL", Eu, DayMonthYear, "nl", "sellercentral.amazon.nl";
    Se => "A2NODRKZP88ZB9", "SE", Eu, Iso, "sv", "sellercentral.amazon.se";
    Pl => "A1C3SOZRARQ6R3", "PL", Eu, DayMonthYear, "pl", "sellercentral.amazon.pl";
    Be => "AMEN7PMS3EDWL", "BE", Eu, DayMonthYear, "fr", "sellercentral.amazon.com.be";
    Tr => "A33AVAJ2PDY3EV", "TR", Eu, DayMonthYear, "tr", "sellercentral.amazon.com.tr";
    Ae => "A2VIGQ35RCS4UG", "AE", Eu, DayMonthYear, "en", "sellercentral.amazon.ae";
    Sa => "A17E79C6D8DWNP", "SA", Eu, DayMonthYear, "ar", "sellercentral.amazon.sa";
    Eg => "ARBP9OOSHTCHU", "EG", Eu, DayMonthYear, "ar", "sellercentral.amazon.eg";
    In => "A21TJRUUN4KGV", "IN", Eu, DayMonthYear, "en", "sellercentral.amazon.in";
    Ie => "A28R8C7NBKEWEA", "IE", Eu, DayMonthYear, "en", "sellercentral.amazon.ie";
    Za => "AE08WJ6YKNBMC", "ZA", Eu, DayMonthYear, "en", "sellercentral.amazon.co.za";
    Jp => "A1VC38T7YXB528", "JP", Fe, YearMonthDay, "ja", "sellercentral.amazon.co.jp";
    Au => "A39IBJ37TRP1C6", "AU", Fe, DayMonthYear, "en", "sellercentral.amazon.com.au";
    Sg => "A19VAU5U5O7RUS", "SG", Fe, DayMonthYear, "en", "sellercentral.amazon.sg";
}

impl fmt::Display for Marketplace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Marketplace {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::from_id(s)
    }
}

impl Serialize for Marketplace {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Marketplace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::from_id(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for m in Marketplace::ALL {
            assert_eq!(Marketplace::from_id(m.id()), Ok(*m));
            assert!(seen.insert(m.id()), "duplicate id {}", m.id());
        }
    }

    #[test]
    fn regions_and_date_formats_follow_amazon() {
        assert_eq!(Marketplace::from_id("ATVPDKIKX0DER").unwrap().region(), Region::Na);
        assert_eq!(Marketplace::De.region(), Region::Eu);
        assert_eq!(Marketplace::Jp.region(), Region::Fe);
        assert_eq!(Marketplace::Us.feedback_date_format(), FeedbackDateFormat::MonthDayYear);
        assert_eq!(Marketplace::De.feedback_date_format(), FeedbackDateFormat::DayMonthYearDotted);
        assert_eq!(Marketplace::Jp.feedback_date_format(), FeedbackDateFormat::YearMonthDay);
        assert_eq!(Marketplace::Se.feedback_date_format(), FeedbackDateFormat::Iso);
        assert_eq!(Marketplace::Uk.feedback_date_format(), FeedbackDateFormat::DayMonthYear);
    }

    #[test]
    fn unknown_ids_are_rejected_by_name() {
        let err = Marketplace::from_id("XXXX").unwrap_err();
        assert_eq!(err, IdError::MarketplaceId("XXXX".into()));
        assert_eq!(Marketplace::from_id_or_code("de"), Ok(Marketplace::De));
    }
}
