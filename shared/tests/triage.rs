//! Removability triage across languages: each case states the comment, its stars, the
//! marketplace language, the fulfilment channel and the grounds expected (empty: not
//! removable). Conservative: mixed comments are not flagged.

use autopilot_shared::domain::FulfillmentChannel::{Afn, Mfn};
use autopilot_shared::domain::triage::{Ground, triage};

#[test]
fn triage_cases_in_six_languages() {
    use Ground::*;
    let cases: &[(&str, u8, &str, _, &[Ground])] = &[
        // English
        ("This is shit, total garbage", 1, "en", Mfn, &[Obscene]),
        ("The zipper broke after two days, poor quality", 1, "en", Mfn, &[ProductReview]),
        ("Package arrived 5 days late", 2, "en", Afn, &[FbaDelivery]),
        ("Package arrived 5 days late", 2, "en", Mfn, &[]),
        ("Arrived late and the seller never answered my emails", 1, "en", Afn, &[]),
        ("Item broke and the seller refused a refund", 1, "en", Mfn, &[]),
        ("Call me on +1 206 555 0147 about this", 2, "en", Mfn, &[PersonalInfo]),
        ("Better tents at www.cheaptents.example.com", 1, "en", Mfn, &[Promotional]),
        ("Order 111-1234567-1234567 was fine I guess", 3, "en", Mfn, &[]),
        ("Seller was slow to respond", 2, "en", Mfn, &[]),
        ("Great tent, fast shipping", 5, "en", Afn, &[]),
        // German
        ("Scheiße Qualität, der Reißverschluss ist kaputt", 1, "de", Mfn, &[Obscene, ProductReview]),
        ("Paket kam zu spät an", 2, "de", Afn, &[FbaDelivery]),
        ("Artikel defekt, Verkäufer antwortet nicht auf Rückerstattung", 1, "de", Mfn, &[]),
        ("Schreiben Sie an max.mustermann@example.de", 2, "de", Mfn, &[PersonalInfo]),
        // French
        ("Produit de mauvaise qualité, cassé au bout d'une semaine", 1, "fr", Mfn, &[ProductReview]),
        ("Colis livré en retard", 2, "fr", Afn, &[FbaDelivery]),
        ("C'est de la merde", 1, "fr", Mfn, &[Obscene]),
        ("Vendeur impoli, remboursement refusé", 1, "fr", Mfn, &[]),
        // Italian
        ("Prodotto difettoso, non funziona", 1, "it", Mfn, &[ProductReview]),
        ("Pacco mai arrivato, consegna in ritardo", 1, "it", Afn, &[FbaDelivery]),
        ("Che cazzo di servizio", 1, "it", Mfn, &[Obscene]),
        // Spanish
        ("Producto roto, mala calidad", 1, "es", Mfn, &[ProductReview]),
        ("El paquete llegó tarde", 2, "es", Afn, &[FbaDelivery]),
        ("Una mierda de vendedor", 1, "es", Mfn, &[Obscene]),
        ("Código de descuento en mi web tiendabarata.es", 1, "es", Mfn, &[Promotional]),
        // Japanese
        ("商品がすぐに壊れた。品質が悪い", 1, "ja", Mfn, &[ProductReview]),
        ("配送が遅い", 2, "ja", Afn, &[FbaDelivery]),
        ("クソみたいな商品", 1, "ja", Mfn, &[Obscene, ProductReview]),
        ("出品者の対応が悪い、返金なし", 1, "ja", Mfn, &[]),
    ];
    for (comment, rating, language, fulfillment, expected) in cases {
        let verdict = triage(comment, *rating, language, *fulfillment);
        assert_eq!(verdict.reasons, expected.to_vec(), "{comment:?} ({language}, {fulfillment:?}): {verdict:?}");
        let removable = expected.iter().any(|g| *g != FbaDelivery);
        assert_eq!(verdict.removable, removable, "{comment:?}");
        assert_eq!(verdict.strike_through, expected.contains(&FbaDelivery), "{comment:?}");
        assert_eq!(verdict.evidence.is_empty(), expected.is_empty(), "{comment:?}: {:?}", verdict.evidence);
    }
}

#[test]
fn evidence_names_what_triggered_each_ground() {
    let verdict = triage("shit product, email me at jo@example.com", 1, "en", Mfn);
    assert!(verdict.evidence.contains(&"obscene word \"shit\"".to_string()), "{:?}", verdict.evidence);
    assert!(verdict.evidence.iter().any(|e| e.contains("jo@example.com")), "{:?}", verdict.evidence);
}

#[test]
fn words_inside_other_words_do_not_count() {
    // "class" contains "ass"; "Scunthorpe" contains a slur; neither is profanity
    assert!(triage("Classic case of a late shipment to Scunthorpe", 2, "en", Mfn).reasons.is_empty());
}

#[test]
fn only_real_phone_numbers_count_as_personal_information() {
    let phones = [
        ("Call me on +1 206 555 0147 about this", "en"),
        ("Ring (555) 123-4567 if you dare", "en"),
        ("my number is 555-123-4567", "en"),
        ("Rufen Sie mich an: 030 12345678", "de"),
        ("Handy 0172/1234567", "de"),
        ("Tel. +49 30 12345678", "de"),
        ("Tel. 0049 30 1234567", "de"),
        ("Ring me on 07700 900123", "en"),
        ("Appelez le 06 12 34 56 78", "fr"),
        ("Mon portable +33 6 12 34 56 78", "fr"),
        ("Chiamami al 347 123 4567", "it"),
        ("電話番号は03-1234-5678です", "ja"),
    ];
    for (comment, language) in phones {
        let verdict = triage(comment, 2, language, Mfn);
        assert_eq!(verdict.reasons, vec![Ground::PersonalInfo], "{comment:?}: {verdict:?}");
    }
    let not_phones = [
        ("Paid 129.99 + 15.00 shipping and it broke", "en"),
        ("Total was 1,299.99 for this junk", "en"),
        ("Ordered on 12/03/2026 at 14:30, came a week late", "en"),
        ("Bestellt am 01.03.2026, kam am 15.03.2026", "de"),
        ("Tracking 1Z999AA10123456784 never moved", "en"),
        ("Tracking number 9400111899223344556677 shows nothing", "en"),
        ("Order 303-1234567-1234567 never came", "en"),
        ("ISBN 978-3-16-148410-0 was the wrong edition", "en"),
        ("ISBN 0-306-40615-2, wrong book", "en"),
        ("Waited 10-12 days for 2 items", "en"),
        ("Commande 171-2345678-9012345 reçue le 3/4/2026", "fr"),
    ];
    for (comment, language) in not_phones {
        let verdict = triage(comment, 2, language, Mfn);
        assert!(!verdict.reasons.contains(&Ground::PersonalInfo), "{comment:?}: {verdict:?}");
    }
}
