//! Removability triage of negative and neutral feedback: which of Amazon's removal grounds a
//! comment meets, with the words that triggered each, so the seller can ask in time.
//!
//! Conservative by design (speculative removal requests are against Amazon's policy): a
//! comment is flagged only when it clearly meets a criterion. A comment that mixes product and
//! service is not "entirely a product review"; a delivery complaint that also blames the seller
//! is not "entirely about delivery".

use serde::{Deserialize, Serialize};

use super::order::FulfillmentChannel;

/// Amazon's grounds, as stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ground {
    /// Obscene or profane words.
    Obscene,
    /// Personal information: e-mail addresses, phone numbers.
    PersonalInfo,
    /// Entirely a product review.
    ProductReview,
    /// Promotional content or links to other sites.
    Promotional,
    /// Entirely about delivery of an Amazon-fulfilled order: struck through, not removed.
    FbaDelivery,
}

impl Ground {
    pub fn code(self) -> &'static str {
        match self {
            Ground::Obscene => "obscene",
            Ground::PersonalInfo => "personal_info",
            Ground::ProductReview => "product_review",
            Ground::Promotional => "promotional",
            Ground::FbaDelivery => "fba_delivery",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verdict {
    /// Amazon removes it on request.
    pub removable: bool,
    /// Amazon strikes it through (it stops counting) on request.
    pub strike_through: bool,
    pub reasons: Vec<Ground>,
    /// What triggered each reason, for the seller's request.
    pub evidence: Vec<String>,
}

struct Lexicon {
    obscene: &'static [&'static str],
    product: &'static [&'static str],
    delivery: &'static [&'static str],
    seller: &'static [&'static str],
    promo: &'static [&'static str],
    /// Languages written without spaces match terms anywhere in the text.
    substring: bool,
}

const EN: Lexicon = Lexicon {
    obscene: &[
        "fuck",
        "fucking",
        "fucked",
        "motherfucker",
        "shit",
        "shitty",
        "bullshit",
        "asshole",
        "bitch",
        "bastard",
        "cunt",
        "dick",
        "dickhead",
        "piss",
        "pissed",
        "wanker",
        "twat",
        "prick",
    ],
    product: &[
        "product",
        "item",
        "quality",
        "broke",
        "broken",
        "size",
        "fit",
        "fits",
        "color",
        "colour",
        "material",
        "battery",
        "works",
        "worked",
        "stopped working",
        "doesn't work",
        "does not work",
        "defective",
        "cheap",
        "flimsy",
        "smell",
        "smells",
        "design",
        "too small",
        "too big",
        "leaks",
        "leaked",
        "poor quality",
        "tent",
        "zipper",
    ],
    delivery: &[
        "delivery",
        "delivered",
        "arrived",
        "arrive",
        "late",
        "shipping",
        "shipped",
        "package",
        "parcel",
        "courier",
        "carrier",
        "driver",
        "never received",
        "didn't receive",
        "did not receive",
        "lost",
        "tracking",
        "days late",
        "box was damaged",
        "damaged box",
    ],
    seller: &[
        "seller",
        "refund",
        "refunded",
        "return",
        "returned",
        "customer service",
        "response",
        "responded",
        "reply",
        "replied",
        "contact",
        "contacted",
        "communication",
        "rude",
        "wrong item",
        "sent the wrong",
        "scam",
        "never answered",
    ],
    promo: &["promo code", "coupon code", "discount code", "use code", "visit my", "check out my"],
    substring: false,
};

const DE: Lexicon = Lexicon {
    obscene: &[
        "scheiße",
        "scheisse",
        "scheiß",
        "scheiss",
        "arschloch",
        "fick",
        "ficken",
        "wichser",
        "fotze",
        "hurensohn",
        "kacke",
        "verfickt",
    ],
    product: &[
        "produkt",
        "artikel",
        "qualität",
        "kaputt",
        "defekt",
        "größe",
        "passt",
        "farbe",
        "material",
        "akku",
        "funktioniert",
        "funktioniert nicht",
        "billig",
        "verarbeitung",
        "zelt",
        "reißverschluss",
    ],
    delivery: &[
        "lieferung",
        "geliefert",
        "angekommen",
        "zu spät",
        "spät",
        "versand",
        "paket",
        "zusteller",
        "bote",
        "nie angekommen",
        "nicht angekommen",
        "sendungsverfolgung",
        "karton beschädigt",
    ],
    seller: &[
        "verkäufer",
        "händler",
        "erstattung",
        "rückerstattung",
        "rücksendung",
        "kundenservice",
        "kundendienst",
        "antwort",
        "keine antwort",
        "kontakt",
        "unfreundlich",
        "falscher artikel",
        "betrug",
    ],
    promo: &["gutscheincode", "rabattcode", "besuchen sie"],
    substring: false,
};

const FR: Lexicon = Lexicon {
    obscene: &[
        "merde",
        "putain",
        "connard",
        "connasse",
        "salaud",
        "salope",
        "enculé",
        "encule",
        "foutre",
        "bordel de merde",
    ],
    product: &[
        "produit",
        "article",
        "qualité",
        "cassé",
        "défectueux",
        "taille",
        "couleur",
        "matière",
        "batterie",
        "fonctionne",
        "fonctionne pas",
        "marche pas",
        "tente",
        "fermeture éclair",
    ],
    delivery: &[
        "livraison",
        "livré",
        "arrivé",
        "arrivée",
        "retard",
        "en retard",
        "expédition",
        "colis",
        "livreur",
        "transporteur",
        "jamais reçu",
        "pas reçu",
        "suivi",
    ],
    seller: &[
        "vendeur",
        "remboursement",
        "remboursé",
        "retour",
        "service client",
        "réponse",
        "contact",
        "impoli",
        "mauvais article",
        "arnaque",
    ],
    promo: &["code promo", "code de réduction", "visitez"],
    substring: false,
};

const IT: Lexicon = Lexicon {
    obscene: &["merda", "cazzo", "stronzo", "stronzi", "vaffanculo", "fanculo", "puttana", "coglione", "minchia"],
    product: &[
        "prodotto",
        "articolo",
        "qualità",
        "rotto",
        "difettoso",
        "taglia",
        "colore",
        "materiale",
        "batteria",
        "funziona",
        "non funziona",
        "tenda",
        "cerniera",
    ],
    delivery: &[
        "consegna",
        "consegnato",
        "arrivato",
        "arrivata",
        "ritardo",
        "in ritardo",
        "spedizione",
        "pacco",
        "corriere",
        "mai arrivato",
        "non ricevuto",
        "tracciamento",
    ],
    seller: &[
        "venditore",
        "rimborso",
        "rimborsato",
        "reso",
        "servizio clienti",
        "risposta",
        "contatto",
        "scortese",
        "articolo sbagliato",
        "truffa",
    ],
    promo: &["codice sconto", "codice promozionale", "visitate"],
    substring: false,
};

const ES: Lexicon = Lexicon {
    obscene: &[
        "mierda",
        "joder",
        "puta",
        "puto",
        "cabrón",
        "cabron",
        "gilipollas",
        "coño",
        "hijo de puta",
        "pendejo",
        "carajo",
    ],
    product: &[
        "producto",
        "artículo",
        "articulo",
        "calidad",
        "roto",
        "defectuoso",
        "talla",
        "color",
        "material",
        "batería",
        "funciona",
        "no funciona",
        "tienda de campaña",
        "cremallera",
    ],
    delivery: &[
        "entrega",
        "entregado",
        "llegó",
        "llego",
        "tarde",
        "retraso",
        "envío",
        "envio",
        "paquete",
        "repartidor",
        "transportista",
        "nunca llegó",
        "no recibí",
        "seguimiento",
    ],
    seller: &[
        "vendedor",
        "reembolso",
        "devolución",
        "devolucion",
        "atención al cliente",
        "respuesta",
        "contacto",
        "grosero",
        "artículo equivocado",
        "estafa",
    ],
    promo: &["código de descuento", "codigo de descuento", "código promocional", "visiten"],
    substring: false,
};

const JA: Lexicon = Lexicon {
    obscene: &["くそ", "クソ", "糞", "死ね", "ちくしょう", "畜生"],
    product: &[
        "商品",
        "品質",
        "壊れ",
        "不良",
        "サイズ",
        "色",
        "素材",
        "電池",
        "バッテリー",
        "動かない",
        "使えない",
        "テント",
    ],
    delivery: &["配送", "配達", "届かない", "届いた", "到着", "遅い", "遅れ", "発送", "荷物", "梱包が", "追跡"],
    seller: &["出品者", "販売者", "返金", "返品", "対応", "問い合わせ", "連絡", "失礼", "間違った商品", "詐欺"],
    promo: &["クーポンコード", "割引コード"],
    substring: true,
};

fn lexicon(language: &str) -> Option<&'static Lexicon> {
    match language {
        "en" => Some(&EN),
        "de" => Some(&DE),
        "fr" => Some(&FR),
        "it" => Some(&IT),
        "es" => Some(&ES),
        "ja" => Some(&JA),
        _ => None,
    }
}

/// The comment as " word word ... " (lower case, punctuation as spaces), for whole-word and
/// phrase matching.
fn words(comment: &str) -> String {
    let mut out = String::with_capacity(comment.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for c in comment.chars().flat_map(char::to_lowercase) {
        let keep = c.is_alphanumeric() || c == '\'' || c == '’';
        if keep {
            out.push(if c == '’' { '\'' } else { c });
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

fn hits(
    lexicons: &[&Lexicon],
    pick: fn(&Lexicon) -> &'static [&'static str],
    raw: &str,
    spaced: &str,
) -> Vec<&'static str> {
    let mut found = Vec::new();
    for lexicon in lexicons {
        for term in pick(lexicon) {
            let hit = if lexicon.substring { raw.contains(term) } else { spaced.contains(&format!(" {term} ")) };
            if hit && !found.contains(term) {
                found.push(*term);
            }
        }
    }
    found
}

/// E-mail addresses and phone numbers (see [`is_phone_number`]).
fn personal_info(comment: &str) -> Vec<String> {
    let mut found = Vec::new();
    for token in comment.split_whitespace() {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        if let Some((local, domain)) = token.split_once('@')
            && !local.is_empty()
            && domain.contains('.')
        {
            found.push(format!("e-mail address {token:?}"));
        }
    }
    // Phone numbers: a run of digits and the separators phone numbers are written with, that is
    // not glued to letters or digits (tracking numbers) and has a phone number's shape.
    let chars: Vec<char> = comment.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            || (matches!(chars[i], '+' | '(') && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || " -()/+.,".contains(chars[i])) {
            i += 1;
        }
        let mut end = i;
        while end > start && !(chars[end - 1].is_ascii_digit() || chars[end - 1] == ')') {
            end -= 1;
        }
        // Glued to Latin letters or digits: part of a code (tracking numbers). Japanese and
        // Chinese text runs words together, so their letters do not count.
        let glued = |c: Option<&char>| c.is_some_and(char::is_ascii_alphanumeric);
        let before = start.checked_sub(1).and_then(|b| chars.get(b));
        let run: String = chars[start..end].iter().collect();
        if !glued(before) && !glued(chars.get(end)) && is_phone_number(&run) {
            found.push(format!("phone number {run:?}"));
        }
    }
    found
}

/// Whether a run of digits and separators is written as a phone number:
/// - international: `+` or `00`, then 8 to 15 digits (E.164);
/// - North American: 3-3-4 digits in groups, optionally after a 1;
/// - national with a trunk prefix (DE, UK, FR, IT, ES, NL, JP, ...): starts with 0, 9 to 12
///   digits, written whole or with an area code of 2 to 5 digits first.
///
/// Not: sums and prices (a `+` inside, decimals), dates (two slashes or dots), order ids and
/// ISBNs (their group shapes), tracking numbers (glued to letters, or too long).
fn is_phone_number(run: &str) -> bool {
    let groups: Vec<&str> = run.split(|c: char| !c.is_ascii_digit()).filter(|g| !g.is_empty()).collect();
    let digits: usize = groups.iter().map(|g| g.len()).sum();
    let separators: String = run.chars().filter(|c| !c.is_ascii_digit()).collect();
    let after_first = run.char_indices().skip(1).map(|(_, c)| c);
    if after_first.clone().any(|c| c == '+') || separators.contains(',') {
        return false;
    }
    // a decimal part: a dot followed by exactly two digits that end the run (129.99)
    if groups.len() > 1
        && groups.last().is_some_and(|g| g.len() == 2)
        && run.trim_end_matches(')').rfind('.').is_some_and(|dot| dot + 3 == run.len())
    {
        return false;
    }
    if separators.matches('/').count() > 1 || separators.matches('.').count() == 2 {
        return false;
    }
    if let Some(rest) = run.strip_prefix('+') {
        return (8..=15).contains(&rest.chars().filter(char::is_ascii_digit).count());
    }
    if run.starts_with("00") {
        return (8..=15).contains(&(digits - 2));
    }
    let shape: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if shape == [3, 3, 4] || (shape == [1, 3, 3, 4] && groups[0] == "1") {
        return true;
    }
    run.starts_with('0') && (9..=12).contains(&digits) && (groups.len() == 1 || (2..=5).contains(&groups[0].len()))
}

/// Links to other sites (a URL or a bare domain that is not part of an e-mail address).
fn links(comment: &str) -> Vec<String> {
    const TLDS: &[&str] =
        &[".com", ".net", ".org", ".de", ".fr", ".it", ".es", ".co.uk", ".jp", ".shop", ".store", ".io"];
    comment
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '!' | '?' | '"' | '\'')).trim_end_matches('.'))
        .filter(|t| !t.contains('@'))
        .filter(|t| {
            let lower = t.to_lowercase();
            lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("www.")
                || TLDS.iter().any(|tld| lower.ends_with(tld) && lower.len() > tld.len())
        })
        .map(|t| format!("link {t:?}"))
        .collect()
}

/// Triage one feedback comment of `rating` stars, written in a marketplace whose buyers write in
/// `language` (English is always checked too), on an order fulfilled by `fulfillment`.
pub fn triage(comment: &str, rating: u8, language: &str, fulfillment: FulfillmentChannel) -> Verdict {
    let mut verdict = Verdict::default();
    if rating > 3 || comment.trim().is_empty() {
        return verdict;
    }
    let mut lexicons: Vec<&Lexicon> = vec![&EN];
    if let Some(own) = lexicon(language).filter(|l| !std::ptr::eq(*l, &EN)) {
        lexicons.push(own);
    }
    let spaced = words(comment);
    let raw = comment.to_lowercase();
    let mut add = |ground: Ground, evidence: Vec<String>| {
        if !evidence.is_empty() {
            verdict.reasons.push(ground);
            verdict.evidence.extend(evidence);
        }
    };
    add(
        Ground::Obscene,
        hits(&lexicons, |l| l.obscene, &raw, &spaced).iter().map(|w| format!("obscene word {w:?}")).collect(),
    );
    add(Ground::PersonalInfo, personal_info(comment));
    let product = hits(&lexicons, |l| l.product, &raw, &spaced);
    let delivery = hits(&lexicons, |l| l.delivery, &raw, &spaced);
    let seller = hits(&lexicons, |l| l.seller, &raw, &spaced);
    if !product.is_empty() && delivery.is_empty() && seller.is_empty() {
        add(Ground::ProductReview, vec![format!("only about the product: {}", quoted(&product))]);
    }
    let mut promotional = links(comment);
    promotional.extend(hits(&lexicons, |l| l.promo, &raw, &spaced).iter().map(|p| format!("promotion {p:?}")));
    add(Ground::Promotional, promotional);
    if fulfillment == FulfillmentChannel::Afn && !delivery.is_empty() && product.is_empty() && seller.is_empty() {
        add(Ground::FbaDelivery, vec![format!("only about Amazon's delivery: {}", quoted(&delivery))]);
    }
    verdict.strike_through = verdict.reasons.contains(&Ground::FbaDelivery);
    verdict.removable = verdict.reasons.iter().any(|g| *g != Ground::FbaDelivery);
    verdict
}

fn quoted(words: &[&str]) -> String {
    words.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>().join(", ")
}
