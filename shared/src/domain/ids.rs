//! Validated identifiers. Constructing one is the only place the format is checked, so the rest
//! of the code can rely on it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Why a value could not become an identifier; names the kind of id and the offending value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error("seller id {0:?} is not an Amazon merchant token (1-32 upper-case letters or digits)")]
    SellerId(String),
    #[error("order id {0:?} is not an Amazon order id of the form 3-7-7 digits (e.g. 902-3159896-1390916)")]
    OrderId(String),
    #[error("marketplace id {0:?} is not a marketplace Feedback Autopilot knows")]
    MarketplaceId(String),
    #[error("e-mail address {0:?} is not valid")]
    Email(String),
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $validate:expr, $err:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                let check: fn(&str) -> bool = $validate;
                if check(&value) { Ok(Self(value)) } else { Err($err(value)) }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// An Amazon merchant token (selling partner id), e.g. `A3TH9S8BH6GOGM`.
    SellerId,
    |s| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
    IdError::SellerId
);

string_id!(
    /// An Amazon order id: three groups of 3, 7 and 7 digits, e.g. `902-3159896-1390916`.
    OrderId,
    is_amazon_order_id,
    IdError::OrderId
);

string_id!(
    /// An e-mail address for seller alerts. Deliberately loose (one `@`, a dotted domain, no
    /// spaces): SES is the real judge, this only catches obvious typos in configuration.
    EmailAddress,
    is_plausible_email,
    IdError::Email
);

fn is_amazon_order_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 3
        && [3usize, 7, 7].iter().zip(&groups).all(|(len, g)| g.len() == *len && g.bytes().all(|b| b.is_ascii_digit()))
}

fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && s.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_must_be_3_7_7_digits() {
        assert!(OrderId::parse("902-3159896-1390916").is_ok());
        for bad in [
            "",
            "902-3159896",
            "902-3159896-13909161",
            "90a-3159896-1390916",
            "902_3159896_1390916",
            "902-3159896-1390916-1",
            " 902-3159896-1390916",
        ] {
            assert_eq!(OrderId::parse(bad), Err(IdError::OrderId(bad.to_string())), "{bad:?}");
        }
    }

    #[test]
    fn seller_ids_are_upper_case_alphanumeric() {
        assert!(SellerId::parse("A3TH9S8BH6GOGM").is_ok());
        assert!(SellerId::parse("a3th9s8bh6gogm").is_err());
        assert!(SellerId::parse("").is_err());
        assert!(SellerId::parse("A".repeat(33)).is_err());
        assert!(SellerId::parse("A3TH9S8B#GOGM").is_err());
    }

    #[test]
    fn error_messages_name_the_bad_value() {
        let err = OrderId::parse("12-34").unwrap_err().to_string();
        assert!(err.contains("\"12-34\""), "{err}");
    }

    #[test]
    fn emails_reject_obvious_typos() {
        assert!(EmailAddress::parse("ops@seller.example").is_ok());
        for bad in ["ops", "ops@", "@seller.example", "ops@seller", "o ps@seller.example", "a@b@c.d"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_deserialize_through_validation() {
        let ok: OrderId = serde_json::from_str("\"902-3159896-1390916\"").unwrap();
        assert_eq!(ok.as_str(), "902-3159896-1390916");
        let bad = serde_json::from_str::<OrderId>("\"nope\"").unwrap_err().to_string();
        assert!(bad.contains("nope"), "{bad}");
    }
}
