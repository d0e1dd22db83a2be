//! Realistic user import CSVs, for tests and benchmarks.
//!
//! [`write_users`] writes a header and `rows` users, deterministically from a seed (a small xorshift
//! generator, no `rand`). Every row is valid under [`cognito_import::check`] for a pool whose header is the
//! one given, with MFA off and no required attribute: names from several languages (some non-ASCII,
//! a few `name` values with an escaped comma), a unique email and username made from the row index,
//! `email_verified` true, about 30% with an E.164 phone number, some birthdates, a locale, an
//! `updated_at`, `cognito:mfa_enabled` false. Columns it does not know (custom attributes) are left
//! empty. A row is about 200 bytes, so 500,000 rows are about 100 MB.

use std::io::{self, Write};

/// The 21 columns GetCSVHeader returns for a pool with only the standard attributes: the
/// stand-in's standard attributes, then Cognito's own two columns.
pub fn standard_header() -> Vec<String> {
    cognito_import_emulator::cognito::STANDARD_ATTRIBUTES
        .into_iter()
        .chain(["cognito:mfa_enabled", "cognito:username"])
        .map(String::from)
        .collect()
}

/// (as written, as in an email address)
const GIVEN: &[(&str, &str)] = &[
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Łukasz", "lukasz"),
    ("María", "maria"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("François", "francois"),
    ("Björn", "bjorn"),
    ("Oğuz", "oguz"),
    ("Emma", "emma"),
    ("Liam", "liam"),
    ("Olivia", "olivia"),
    ("Noah", "noah"),
    ("Ava", "ava"),
    ("James", "james"),
    ("Sophia", "sophia"),
    ("Mateus", "mateus"),
    ("Yuki", "yuki"),
    ("Aarav", "aarav"),
    ("Fatima", "fatima"),
    ("Ingrid", "ingrid"),
    ("Mei", "mei"),
    ("Kwame", "kwame"),
    ("Anna", "anna"),
];

const FAMILY: &[(&str, &str)] = &[
    ("García", "garcia"),
    ("Nowak", "nowak"),
    ("Müller", "muller"),
    ("Wiśniewska", "wisniewska"),
    ("Jørgensen", "jorgensen"),
    ("Fernández", "fernandez"),
    ("Schröder", "schroder"),
    ("Öztürk", "ozturk"),
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Brown", "brown"),
    ("Kowalski", "kowalski"),
    ("Dubois", "dubois"),
    ("Rossi", "rossi"),
    ("Silva", "silva"),
    ("Tanaka", "tanaka"),
    ("Nguyen", "nguyen"),
    ("Okafor", "okafor"),
    ("Patel", "patel"),
    ("Kim", "kim"),
];

const MIDDLE: &[&str] = &["Marie", "Lee", "Ann", "Józef", "Elena", "Paul"];

/// (locale, zoneinfo, calling code, national number digits)
const PLACES: &[(&str, &str, &str, u32)] = &[
    ("en-US", "America/New_York", "1", 10),
    ("en-US", "America/Los_Angeles", "1", 10),
    ("en-GB", "Europe/London", "44", 10),
    ("es-ES", "Europe/Madrid", "34", 9),
    ("pl-PL", "Europe/Warsaw", "48", 9),
    ("de-DE", "Europe/Berlin", "49", 10),
    ("fr-FR", "Europe/Paris", "33", 9),
    ("pt-BR", "America/Sao_Paulo", "55", 11),
    ("ja-JP", "Asia/Tokyo", "81", 10),
];

const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.org",
    "correo.example.es",
    "example.co.jp",
    "post.example.de",
];

const STREETS: &[&str] = &[
    "Main St",
    "Calle Mayor",
    "ul. Długa",
    "Hauptstraße",
    "Rue de la Paix",
    "Oak Ave",
];
const CITIES: &[&str] = &["Springfield", "Madrid", "Gdańsk", "München", "Paris", "Portland"];

/// xorshift64* (Vigna): small, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that 0 and nearby seeds give unrelated, non-zero states.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Writes a header line (`header` joined with commas) and `rows` user rows, each ended by `\n`, to
/// `out`, and returns the bytes written. The same header, rows and seed always give the same bytes.
pub fn write_users(out: &mut impl Write, header: &[String], rows: u64, seed: u64) -> io::Result<u64> {
    let mut rng = Rng::new(seed);
    let mut line = Vec::with_capacity(512);
    line.extend_from_slice(header.join(",").as_bytes());
    line.push(b'\n');
    out.write_all(&line)?;
    let mut written = line.len() as u64;
    for row in 0..rows {
        line.clear();
        user(&mut line, header, row, &mut rng);
        out.write_all(&line)?;
        written += line.len() as u64;
    }
    Ok(written)
}

/// Appends one user row for `header` to `line`.
fn user(line: &mut Vec<u8>, header: &[String], row: u64, rng: &mut Rng) {
    let (given, given_ascii) = *rng.pick(GIVEN);
    let (family, family_ascii) = *rng.pick(FAMILY);
    let (locale, zone, calling_code, national_digits) = *rng.pick(PLACES);
    let phone = rng.chance(30);
    let phone_verified = phone && rng.chance(60);
    let comma_name = rng.chance(3);
    let middle = rng.chance(20).then(|| *rng.pick(MIDDLE));
    let nickname = rng.chance(30);
    let picture = rng.chance(30);
    let website = rng.chance(10);
    let gender = match rng.below(10) {
        0..=2 => "female",
        3..=5 => "male",
        6 => "non-binary",
        _ => "",
    };
    let birthdate = rng
        .chance(50)
        .then(|| (1 + rng.below(12), 1 + rng.below(28), 1940 + rng.below(66)));
    let zoneinfo = rng.chance(85);
    let address = rng
        .chance(40)
        .then(|| (1 + rng.below(400), *rng.pick(STREETS), *rng.pick(CITIES)));
    let domain = *rng.pick(DOMAINS);
    let uuid = (rng.next(), rng.next());
    let updated_at = 1_600_000_000 + rng.below(150_000_000);
    let national = (0..national_digits).map(|i| if i == 0 { 2 + rng.below(8) } else { rng.below(10) });
    let national: String = national.map(|d| char::from(b'0' + d as u8)).collect();

    for (i, column) in header.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        // Writing to a Vec cannot fail.
        let _ = match column.as_str() {
            "name" if comma_name => write!(line, "{family}\\, {given}"),
            "name" => write!(line, "{given} {family}"),
            "given_name" => write!(line, "{given}"),
            "family_name" => write!(line, "{family}"),
            "middle_name" => write!(line, "{}", middle.unwrap_or("")),
            "nickname" if nickname => write!(line, "{}", &given_ascii[..given_ascii.len().min(4)]),
            "picture" if picture => write!(line, "https://cdn.example.com/avatars/{row}.png"),
            "website" if website => write!(line, "https://{family_ascii}.example.org"),
            "email" => write!(line, "{given_ascii}.{family_ascii}.{row}@{domain}"),
            "email_verified" => write!(line, "true"),
            "gender" => write!(line, "{gender}"),
            "birthdate" => match birthdate {
                Some((m, d, y)) => write!(line, "{m:02}/{d:02}/{y}"),
                None => Ok(()),
            },
            "zoneinfo" if zoneinfo => write!(line, "{zone}"),
            "locale" => write!(line, "{locale}"),
            "phone_number" if phone => write!(line, "+{calling_code}{national}"),
            "phone_number_verified" if phone => write!(line, "{phone_verified}"),
            "address" => match address {
                Some((number, street, city)) => write!(line, "{number} {street}\\, {city}"),
                None => Ok(()),
            },
            "updated_at" => write!(line, "{updated_at}"),
            "cognito:mfa_enabled" => write!(line, "false"),
            // A version-4 UUID whose first eight hex digits are the row index: unique in the file.
            "cognito:username" => write!(
                line,
                "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
                row as u32,
                uuid.0 & 0xffff,
                (uuid.0 >> 16) & 0xfff,
                8 + ((uuid.0 >> 28) & 3),
                (uuid.0 >> 30) & 0xfff,
                uuid.1 & 0xffff_ffff_ffff
            ),
            _ => Ok(()),
        };
    }
    line.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_import::check::{AutoVerified, Checker, Mfa, PoolRules};
    use std::collections::HashSet;

    fn generate(header: &[String], rows: u64, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let bytes = write_users(&mut out, header, rows, seed).unwrap();
        assert_eq!(bytes, out.len() as u64);
        out
    }

    fn column(text: &str, header: &[String], name: &str) -> Vec<String> {
        let at = header.iter().position(|c| c == name).unwrap();
        text.lines()
            .skip(1)
            .map(|line| {
                // Split on the commas that are not escaped.
                let mut fields = vec![String::new()];
                let mut chars = line.chars().peekable();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' if chars.peek() == Some(&',') => fields.last_mut().unwrap().push(chars.next().unwrap()),
                        ',' => fields.push(String::new()),
                        c => fields.last_mut().unwrap().push(c),
                    }
                }
                assert_eq!(fields.len(), header.len(), "{line}");
                fields.swap_remove(at)
            })
            .collect()
    }

    #[test]
    fn standard_header_has_the_21_columns() {
        let header = standard_header();
        assert_eq!(header.len(), 21);
        assert_eq!(header.first().map(String::as_str), Some("name"));
        assert_eq!(header.last().map(String::as_str), Some("cognito:username"));
        assert_eq!(header.iter().collect::<HashSet<_>>().len(), 21);
    }

    #[test]
    fn two_thousand_users_are_clean_and_unique() {
        let header = standard_header();
        let out = generate(&header, 2000, 42);
        let rules = PoolRules {
            header: header.clone(),
            required: vec![],
            mfa: Mfa::Off,
            auto_verified: AutoVerified::Email,
            number_attributes: vec![],
            require_full_header: true,
        };
        let mut checker = Checker::new(&rules);
        checker.feed(&out);
        let verdict = checker.finish();
        assert!(verdict.is_clean(), "{:?}", verdict.problems);
        assert_eq!(verdict.rows, 2000);

        let text = String::from_utf8(out).unwrap();
        let usernames = column(&text, &header, "cognito:username");
        assert_eq!(usernames.iter().collect::<HashSet<_>>().len(), 2000);
        let emails = column(&text, &header, "email");
        assert_eq!(emails.iter().collect::<HashSet<_>>().len(), 2000);
        assert!(emails.iter().all(|e| e.contains(".") && e.matches('@').count() == 1));
        assert!(column(&text, &header, "email_verified").iter().all(|v| v == "true"));
        assert!(
            column(&text, &header, "cognito:mfa_enabled")
                .iter()
                .all(|v| v == "false")
        );

        // Realistic: some non-ASCII names, some escaped commas, about 30% with a phone number.
        let names = column(&text, &header, "name");
        assert!(names.iter().any(|n| !n.is_ascii()));
        assert!(names.iter().any(|n| n.contains(',')));
        let phones = column(&text, &header, "phone_number")
            .iter()
            .filter(|p| !p.is_empty())
            .count();
        assert!((450..750).contains(&phones), "{phones} phone numbers");
        let verified = column(&text, &header, "phone_number_verified");
        assert!(verified.iter().any(|v| v == "true") && verified.iter().any(|v| v == "false"));
        assert!(column(&text, &header, "birthdate").iter().any(|b| b.len() == 10));
        // About 200 bytes a row.
        let average = text.len() / 2000;
        assert!((170..=230).contains(&average), "{average} bytes a row");
    }

    #[test]
    fn deterministic_from_the_seed() {
        let header = standard_header();
        assert_eq!(generate(&header, 300, 7), generate(&header, 300, 7));
        assert_ne!(generate(&header, 300, 7), generate(&header, 300, 8));
        assert_ne!(generate(&header, 300, 0), generate(&header, 300, 1));
    }

    #[test]
    fn unknown_and_custom_columns_are_left_empty() {
        let mut header = standard_header();
        header.insert(3, "custom:tier".into());
        header.push("dev:whatever".into());
        let out = generate(&header, 100, 3);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(column(&text, &header, "custom:tier").iter().all(String::is_empty));
        assert!(column(&text, &header, "dev:whatever").iter().all(String::is_empty));
        let mut checker = Checker::new(&PoolRules::new(header.clone()));
        checker.feed(&out);
        assert!(checker.finish().is_clean());
        // A header without the optional columns works too.
        let short: Vec<String> = ["cognito:username", "email", "email_verified"]
            .map(String::from)
            .to_vec();
        let out = generate(&short, 10, 3);
        let mut checker = Checker::new(&PoolRules::new(short));
        checker.feed(&out);
        assert!(checker.finish().is_clean());
    }
}
