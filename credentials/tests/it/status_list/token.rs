//! IETF Token Status List: the draft's examples and test vectors, Status List Token
//! verification, and its negative cases.
//!
//! Examples are from draft-ietf-oauth-status-list, editor's copy of 15 January 2026
//! (`oauth-wg/draft-ietf-oauth-status-list`, branch build `335-mikes-review`), sections 4.1,
//! 4.2, 5.1 and Appendix C.

use std::collections::HashMap;

use credentials::jose::{JwsError, sign_compact};
use credentials::keys::{Ed25519SigningKey, P256SigningKey, PublicKey, Signer};
use credentials::report::{Check, FailureCode, VerificationReport};
use credentials::resolver::{KeyResolutionError, KeyResolver, Relationship};
use credentials::status_list::token::{
    Bits, IssuerKey, StatusListReference, StatusListTokenClaims, TokenStatus, TokenStatusList,
    TokenValidation, check_status, check_status_with, verify_status_list_token,
};
use credentials::status_list::{
    DEFAULT_CLOCK_SKEW_SECONDS, MAX_CLOCK_SKEW_SECONDS, MAX_DECOMPRESSED_BYTES, MIN_ENTRIES,
    StatusListError, record_status,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const URI: &str = "https://example.com/statuslists/1";
const NOW: i64 = 1_700_000_000;

fn issuer_key() -> Ed25519SigningKey {
    Ed25519SigningKey::from_seed(&[21; 32])
}

fn obj(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

/// Asserts every listed status and that all other statuses are VALID.
fn assert_statuses(list: &TokenStatusList, expected: &[(usize, u8)]) {
    for &(index, value) in expected {
        assert_eq!(list.get(index).unwrap(), value, "status[{index}]");
    }
    let non_zero = (0..list.len())
        .filter(|i| list.get(*i).unwrap() != 0)
        .count();
    let expected_non_zero = expected.iter().filter(|(_, v)| *v != 0).count();
    assert_eq!(non_zero, expected_non_zero);
}

#[test]
fn section_4_1_one_bit_example_decodes_to_0xb9_0xa3() {
    // Sections 4.1 and 4.2: status[0..16] with bits 1 is the byte array [0xB9, 0xA3],
    // encoded as "eNrbuRgAAhcBXQ".
    let list = TokenStatusList::from_json(&json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ"})).unwrap();
    assert_eq!(list.as_bytes(), &[0xb9, 0xa3]);
    let statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    assert_eq!(list.len(), 16);
    for (index, status) in statuses.iter().enumerate() {
        assert_eq!(list.get(index).unwrap(), *status, "status[{index}]");
    }
    assert_eq!(list.status(0).unwrap(), TokenStatus::Invalid);
    assert_eq!(list.status(1).unwrap(), TokenStatus::Valid);
    assert_eq!(list.get(16), Err(StatusListError::IndexOutOfRange));
}

#[test]
fn section_4_1_one_bit_example_is_reproduced_by_setting_its_statuses() {
    // Section 4.1: compressed array (hex) 78dadbb918000217015d = "eNrbuRgAAhcBXQ".
    let mut list = TokenStatusList::with_minimum(16, Bits::One, 16).unwrap();
    for (index, status) in [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
        .iter()
        .enumerate()
    {
        list.set(index, *status).unwrap();
    }
    assert_eq!(list.as_bytes(), &[0xb9, 0xa3]);
    assert_eq!(list.encode(), "eNrbuRgAAhcBXQ");
}

#[test]
fn section_4_1_two_bit_example_decodes_to_0xc9_0x44_0xf9() {
    // Sections 4.1 and 4.2: 12 statuses with bits 2 are [0xC9, 0x44, 0xF9],
    // encoded as "eNo76fITAAPfAgc".
    let list = TokenStatusList::from_json(&json!({"bits": 2, "lst": "eNo76fITAAPfAgc"})).unwrap();
    assert_eq!(list.as_bytes(), &[0xc9, 0x44, 0xf9]);
    let statuses = [
        0b01, 0b10, 0b00, 0b11, 0b00, 0b01, 0b00, 0b01, 0b01, 0b10, 0b11, 0b11,
    ];
    for (index, status) in statuses.iter().enumerate() {
        assert_eq!(list.get(index).unwrap(), *status, "status[{index}]");
    }
    assert_eq!(list.status(1).unwrap(), TokenStatus::Suspended);
    assert_eq!(list.status(3).unwrap(), TokenStatus::Other(3));
    assert!(TokenStatus::Other(3).is_application_specific());
}

// Appendix C: "All examples are initialized with a size of 2^20 entries."
const C_SIZE: usize = 1 << 20;

#[test]
fn appendix_c_1_one_bit_status_list() {
    let lst = concat!(
        "eNrt3AENwCAMAEGogklACtKQPg9LugC9k_ACvreiogE",
        "AAKkeCQAAAAAAAAAAAAAAAAAAAIBylgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAXG9IAAAAAAAAAPwsJAAAAAAAAAAAAAAAvhsSAAAAAAAAAAA",
        "A7KpLAAAAAAAAAAAAAAAAAAAAAJsLCQAAAAAAAAAAADjelAAAAAAAAAAAKjDMAQAAA",
        "ACAZC8L2AEb",
    );
    let list = TokenStatusList::from_json(&json!({"bits": 1, "lst": lst})).unwrap();
    assert_eq!(list.len(), C_SIZE);
    assert_statuses(
        &list,
        &[
            (0, 1),
            (1993, 1),
            (25460, 1),
            (159495, 1),
            (495669, 1),
            (554353, 1),
            (645645, 1),
            (723232, 1),
            (854545, 1),
            (934534, 1),
            (1000345, 1),
        ],
    );
}

#[test]
fn appendix_c_2_two_bit_status_list() {
    let lst = concat!(
        "eNrt2zENACEQAEEuoaBABP5VIO01fCjIHTMStt9ovGV",
        "IAAAAAABAbiEBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEB5WwIAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAID0ugQAAAAAAAAAAAAAAAAAQG12SgAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAOCSIQEAAAAAAAAAAAAAAAAAAAAAAAD8ExIAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwJEuAQAAAAAAAAAAAAAAAAAAAAAAAMB9S",
        "wIAAAAAAAAAAAAAAAAAAACoYUoAAAAAAAAAAAAAAEBqH81gAQw",
    );
    let list = TokenStatusList::from_json(&json!({"bits": 2, "lst": lst})).unwrap();
    assert_eq!(list.len(), C_SIZE);
    assert_statuses(
        &list,
        &[
            (0, 0b01),
            (1993, 0b10),
            (25460, 0b01),
            (159495, 0b11),
            (495669, 0b01),
            (554353, 0b01),
            (645645, 0b10),
            (723232, 0b01),
            (854545, 0b01),
            (934534, 0b10),
            (1000345, 0b11),
        ],
    );
}

#[test]
fn appendix_c_3_four_bit_status_list() {
    let lst = concat!(
        "eNrt0EENgDAQADAIHwImkIIEJEwCUpCEBBQRHOy35Li",
        "1EjoOQGabAgAAAAAAAAAAAAAAAAAAACC1SQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABADrsCAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAADoxaEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIIoCgAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACArpwKAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAGhqVkAzlwIAAAAAiGVRAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAABx3AoAgLpVAQAAAAAAAAAAAAAAwM89rwMAAAAAAAAAA",
        "AjsA9xMBMA",
    );
    let list = TokenStatusList::from_json(&json!({"bits": 4, "lst": lst})).unwrap();
    assert_eq!(list.len(), C_SIZE);
    assert_statuses(
        &list,
        &[
            (0, 0b0001),
            (1993, 0b0010),
            (35460, 0b0011),
            (459495, 0b0100),
            (595669, 0b0101),
            (754353, 0b0110),
            (845645, 0b0111),
            (923232, 0b1000),
            (924445, 0b1001),
            (934534, 0b1010),
            (1004534, 0b1011),
            (1000345, 0b1100),
            (1030203, 0b1101),
            (1030204, 0b1110),
            (1030205, 0b1111),
        ],
    );
}

/// Appendix C.4: `status[i] = v` for these 256 indices, `v` being the position in this array
/// (status[233478] = 0b00000000, status[52451] = 0b00000001, ..., status[19535] = 0b11111111).
const C_4_INDICES: [usize; 256] = [
    233478, 52451, 576778, 513575, 468106, 292632, 214947, 182323, 884834, 66653, 62489, 196493,
    458517, 487925, 55649, 416992, 879796, 462297, 942059, 583408, 13628, 334829, 886286, 713557,
    582738, 326064, 451545, 705889, 214350, 194502, 796765, 202828, 752834, 721327, 554740, 91122,
    963483, 261779, 793844, 165255, 614839, 758403, 403258, 145867, 96100, 477937, 606890, 167335,
    488197, 211815, 797182, 582952, 950870, 765108, 341110, 776325, 745056, 439368, 559893, 149741,
    358903, 513405, 342679, 969429, 795775, 566121, 460566, 680070, 117310, 480348, 67319, 661552,
    841303, 561493, 138807, 442463, 659927, 445910, 1046963, 829700, 962282, 299623, 555493,
    292826, 517215, 551009, 898490, 837603, 759161, 459948, 290102, 1034977, 190650, 98810, 229950,
    320531, 335506, 885333, 133227, 806915, 800313, 981571, 527253, 24077, 240232, 559572, 713399,
    233941, 615514, 911768, 331680, 951527, 6805, 552366, 374660, 223159, 625884, 417146, 320527,
    784154, 338792, 1199, 679804, 1024680, 40845, 234603, 761225, 644903, 502167, 121477, 505144,
    165165, 179628, 1019195, 145149, 263738, 269256, 996739, 346296, 555864, 887384, 444173,
    421844, 653716, 836747, 783119, 918762, 946835, 253764, 519895, 471224, 134272, 709016, 44112,
    482585, 461829, 15080, 148883, 123467, 480125, 141348, 65877, 692958, 148598, 499131, 584009,
    1017987, 449287, 277478, 991262, 509602, 991896, 853666, 399318, 197815, 203278, 903979,
    743015, 888308, 862143, 979421, 113605, 206397, 127113, 844358, 711569, 229153, 521470, 401793,
    398896, 940810, 293983, 884749, 384802, 584151, 970201, 523882, 158093, 929312, 205329, 106091,
    30949, 195586, 495723, 348779, 852312, 1018463, 1009481, 448260, 841042, 122967, 345269,
    794764, 4520, 818773, 556171, 954221, 598210, 887110, 1020623, 324632, 398244, 622241, 456551,
    122648, 127837, 657676, 119884, 105156, 999897, 330160, 119285, 168005, 389703, 143699, 142524,
    493258, 846778, 251420, 516351, 83344, 171931, 879178, 663475, 546865, 428362, 658891, 500560,
    557034, 830023, 274471, 629139, 958869, 663071, 152133, 19535,
];

#[test]
fn appendix_c_4_eight_bit_status_list() {
    let lst = concat!(
        "eNrt0WOQM2kYhtGsbdu2bdu2bdu2bdu2bdu2jVnU1my",
        "-SWYm6U5enFPVf7ue97orFYAo7CQBAACQuuckAABStqUEAAAAAAAAtN6wEgAE71QJA",
        "AAAAIrwhwQAAAAAAdtAAgAAAAAAACLwkAQAAAAAAAAAAACUaFcJAACAeJwkAQAAAAA",
        "AAABQvL4kAAAAWmJwCQAAAAAAAAjAwBIAAAB06ywJoDKQBARpfgkAAAAAAAAAAAAAA",
        "AAAAACo50sJAAAAAAAAAOiRcSQAAAAAgAJNKgEAAG23mgQAAAAAAECw3pUAQvegBAA",
        "AAAAAAADduE4CAAAAyjSvBAAQiw8koHjvSABAb-wlARCONyVoxtMSZOd0CQAAAOjWD",
        "RKQmLckAAAAAACysLYEQGcnSAAAAAAQooUlAABI15kSAIH5RAIgLB9LABC4_SUgGZN",
        "IAABAmM6RoLbTJIASzCIBAEAhfpcAAAAAAABquk8CAAAAAAAAaJl9SvvzBOICAFWmk",
        "IBgfSgBAAAANOgrCQAAAAAAAADStK8EAAC03gASAAAAAAAAAADFWFUCAAAAMjOaBEA",
        "DHpYAQjCIBADduFwCAAAAAGitMSSI3BUSAECOHpAA6IHrJQAAAAAAsjeVBAAAKRpVA",
        "orWvwQAAAAAAAAAkKRtJAAAAAAAgCbcLAF0bXUJAAAAoF02kYDg7CYBAAAAAEB6NpQ",
        "AAAAAAAAAAAAAAEr1uQQAAF06VgIAAAAAAAAAqDaeBAAQqgMkAAAAAABogQMlAAAAA",
        "AAa87MEAAAQiwslAAAAAAAAAAAAAAAAMrOyBAAAiekv-hcsY0Sgne6QAAAAAAAgaUt",
        "JAAAAAAAAAAAAAAAAAAAAAAAAAADwt-07vjVkAAAAgDy8KgFAUEaSAAAAAJL3vgQAW",
        "dhcAgAAoBHDSUDo1pQAAACI2o4SAABZm14CALoyuwQAAPznGQkgZwdLAAAQukclAAA",
        "AAAAAAAAAgKbMKgEAAAAAAAAAAAAAAAAAAECftpYAAAAAAAAAAAAACnaXBAAAAADk7",
        "iMJAAAAAAAAAABqe00CAnGbBBG4TAIAgFDdKgFAXCaWAAAAAAAAAAAAAAAAAKAJQwR",
        "72XbGAQAAAKAhh0sAAAAAAABQgO8kAAAAAAAAAAAAACAaM0kAAAC5W0QCAIJ3mAQAx",
        "GwxCQAA6nhSAsjZBRIAANEbWQIAAAAAaJE3JACAwA0qAUBIVpKAlphbAiAPp0iQnKE",
        "kAAAAAAAgBP1KAAAAdOl4CQAAAAAAAPjLZBIAAG10RtrPm8_CAEBMTpYAAAAAAIjQY",
        "BL8z5QSAAAAAEDYPpUAACAsj0gAAADQkHMlAAjHDxIA0Lg9JQAAgHDsLQEAAABAQS6",
        "WAAAAgLjNFs2l_RgLAIAEfCEBlGZZCQAAaIHjJACgtlskAAAozb0SAAAAVFtfAgAAA",
        "AAAAAAAAAAAAAAAAAAAAKDDtxIAAAAAVZaTAKB5W0kAANCAsSUgJ0tL0GqHSNBbL0g",
        "AZflRAgCARG0kQXNmlgCABiwkAQAAAEB25pIAAAAAAAAAAAAAoFh9SwAAAAAAADWNm",
        "OSrpjFsEoaRgDKcF9Q1dxsEAAAAAAAAAAAAAAAAgPZ6SQIAAAAAAAAAgChMLgEAAAA",
        "AAAAAqZlQAsK2qQQAAAAAAAD06XUJAAAAqG9bCQAAgLD9IgEAAAAAAAAAAAAAAAAAA",
        "EBNe0gAAAAAAAAAAEBPHSEBAAAAlOZtCYA4fS8B0GFRCQAo0gISAOTgNwmC840EAAA",
        "AAAAAAAAAAAAAAAAAUJydJfjXPBIAAAAAAAAAAAAAAABk6WwJAAAAAAAAAAAAAAAAq",
        "G8UCQAAgPpOlAAAIA83SQAANWwc9HUjGAgAAAAAAACAusaSAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAqHKVBACQjxklAAAAAAAAAKBHxpQAAAAAACBME0lAdlaUAACyt7sEAAAA0",
        "Nl0EgAAAAAAAAAAAABA-8wgAQAAAAAAAKU4SgKgUtlBAgAAAAAAAAAAgMCMLwEE51k",
        "JICdzSgCJGl2CsE0tAQAA0L11JQAAAAAAAAjUOhIAAAAAAAAAAAAAAGTqeQkAAAAAA",
        "AAAAAAAKM8SEjTrJwkAAAAAAACocqQEULgVJAAAACjDUxJUKgtKAAAAqbpRAgCA0n0",
        "mAQAAAABAGzwmAUCTLpUAAAAAAAAAAEjZNRIAAAAAAAAAAAAAAAAAAAAA8I-vJaAlh",
        "pQAAAAAAHrvzjJ-OqCuuVlLAojP8BJAr70sQZVDJYAgXS0BAAAAAAAAAAAAtMnyEgA",
        "AAAAAFONKCQAAAAAAAADorc0kAAAAAAAAgDqOlgAAAAAAAAAAAADIwv0SAAAAAAAAA",
        "AAAAADBuV0CIFVDSwAAAABAAI6RAAAAAGIwrQSEZAsJAABouRclAAAAAKDDrxIAAAA",
        "0bkkJgFiMKwEAAAAAAHQyhwRk7h4JAAAAAAAAAAAgatdKAACUYj0JAAAAAAAAAAAAQ",
        "nORBLTFJRIAAAAAkIaDJAAAAJryngQAAAAAAAAAAAA98oQEAAAAAAAAAEC2zpcgWY9",
        "LQKL2kwAgGK9IAAAAAPHaRQIAAAAAAAAAAADIxyoSAAAAAAAAAAAAAADQFotLAECz_",
        "gQ1PX-B",
    );
    let list = TokenStatusList::from_json(&json!({"bits": 8, "lst": lst})).unwrap();
    assert_eq!(list.len(), C_SIZE);
    let expected: Vec<(usize, u8)> = C_4_INDICES
        .iter()
        .enumerate()
        .map(|(value, index)| (*index, u8::try_from(value).unwrap()))
        .collect();
    assert_statuses(&list, &expected);
}

/// The Section 5.1 example payload, signed here with our own key (the draft does not
/// publish its signing key).
fn section_5_1_example_token(signer: &dyn Signer) -> String {
    let header = obj(json!({"kid": "12", "typ": "statuslist+jwt"}));
    let payload = obj(json!({
        "exp": 2291720170u64,
        "iat": 1686920170,
        "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},
        "sub": "https://example.com/statuslists/1",
        "ttl": 43200
    }));
    sign_compact(header, &payload, signer)
}

/// Section 8.2 example response body: a Status List Token signed (ES256, `kid` "12") by the
/// draft's example key.
const SECTION_8_2_TOKEN: &str = concat!(
    "eyJhbGciOiJFUzI1NiIsImtpZCI6IjEyIiwidHlwIjoic3RhdHVzbGlzdCtqd3QifQ.e",
    "yJleHAiOjIyOTE3MjAxNzAsImlhdCI6MTY4NjkyMDE3MCwiaXNzIjoiaHR0cHM6Ly9le",
    "GFtcGxlLmNvbSIsInN0YXR1c19saXN0Ijp7ImJpdHMiOjEsImxzdCI6ImVOcmJ1UmdBQ",
    "WhjQlhRIn0sInN1YiI6Imh0dHBzOi8vZXhhbXBsZS5jb20vc3RhdHVzbGlzdHMvMSIsI",
    "nR0bCI6NDMyMDB9.2lKUUNG503R9htu4aHAYi7vjmr3sgApbfoDvPrl65N3URUO1EYqq",
    "Ql45Jfzd-Av4QzlKa3oVALpLwOEUOq-U_g",
);

/// The public part of the draft's example key (`src/util.py` in the draft's repository).
fn draft_example_key() -> PublicKey {
    PublicKey::from_jwk(&json!({
        "kty": "EC",
        "crv": "P-256",
        "x": "I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo",
        "y": "6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M"
    }))
    .unwrap()
}

#[test]
fn section_8_2_example_status_list_token_verifies_with_the_draft_key() {
    let key = draft_example_key();
    let now = 1686920170;
    let verified = verify_status_list_token(
        SECTION_8_2_TOKEN,
        URI,
        IssuerKey::Key(&key),
        now,
        &small_lists(),
    )
    .unwrap();
    assert_eq!(verified.iss.as_deref(), Some("https://example.com"));
    assert_eq!(verified.ttl, Some(43200));
    assert_eq!(verified.list.as_bytes(), &[0xb9, 0xa3]);
    assert_eq!(verified.status(0).unwrap(), TokenStatus::Invalid);
    assert_eq!(verified.status(1).unwrap(), TokenStatus::Valid);
    // Expired at its `exp` (beyond the default clock skew); a different key does not
    // verify it.
    assert_eq!(
        verify_status_list_token(
            SECTION_8_2_TOKEN,
            URI,
            IssuerKey::Key(&key),
            2291720170 + DEFAULT_CLOCK_SKEW_SECONDS,
            &small_lists()
        ),
        Err(StatusListError::Expired)
    );
    let other = P256SigningKey::from_bytes(&[5; 32]).unwrap().public_key();
    assert_eq!(
        verify_status_list_token(
            SECTION_8_2_TOKEN,
            URI,
            IssuerKey::Key(&other),
            now,
            &small_lists()
        ),
        Err(StatusListError::Jws(JwsError::SignatureInvalid))
    );
}

fn small_lists() -> TokenValidation {
    TokenValidation {
        minimum_entries: 16,
        ..TokenValidation::default()
    }
}

#[test]
fn section_5_1_example_status_list_token_verifies_and_answers_lookups() {
    let key = issuer_key();
    let token = section_5_1_example_token(&key);
    let public = key.public_key();
    let now = 1686920170 + 60;
    let verified =
        verify_status_list_token(&token, URI, IssuerKey::Key(&public), now, &small_lists())
            .unwrap();
    assert_eq!(verified.sub, URI);
    assert_eq!(verified.iat, 1686920170);
    assert_eq!(verified.exp, Some(2291720170));
    assert_eq!(verified.ttl, Some(43200));
    assert_eq!(verified.status(0).unwrap(), TokenStatus::Invalid);
    assert_eq!(verified.status(1).unwrap(), TokenStatus::Valid);
    // Section 6.2 example reference: idx 0 of the same uri.
    let reference =
        StatusListReference::from_status_claim(&json!({"status_list": {"idx": 0, "uri": URI}}))
            .unwrap();
    assert_eq!(
        check_status_with(
            &token,
            &reference,
            IssuerKey::Key(&public),
            now,
            &small_lists()
        ),
        Ok(TokenStatus::Invalid)
    );
}

#[test]
fn section_5_1_example_is_refused_by_default_as_too_small_for_herd_privacy() {
    let key = issuer_key();
    let token = section_5_1_example_token(&key);
    let reference = StatusListReference {
        idx: 1,
        uri: URI.into(),
    };
    assert_eq!(
        check_status(
            &token,
            &reference,
            IssuerKey::Key(&key.public_key()),
            1686920170
        ),
        Err(StatusListError::ListTooSmall {
            entries: 16,
            minimum: MIN_ENTRIES
        })
    );
}

/// A full-size list with index 7 INVALID and 8 SUSPENDED, signed with `signer`.
fn issued_token(signer: &dyn Signer, claims: &StatusListTokenClaims, kid: Option<&str>) -> String {
    let mut list = TokenStatusList::new(MIN_ENTRIES, Bits::Two).unwrap();
    list.set(7, 1).unwrap();
    list.set(8, 2).unwrap();
    claims.sign(&list, signer, kid)
}

fn claims() -> StatusListTokenClaims {
    StatusListTokenClaims {
        sub: URI.into(),
        iss: Some("did:example:issuer".into()),
        iat: NOW - 10,
        exp: Some(NOW + 3600),
        ttl: Some(300),
        aggregation_uri: Some("https://example.com/statuslists".into()),
    }
}

fn reference(idx: usize) -> StatusListReference {
    StatusListReference {
        idx,
        uri: URI.into(),
    }
}

#[test]
fn issued_token_round_trips_through_verification() {
    let key = issuer_key();
    let token = issued_token(&key, &claims(), None);
    let public = key.public_key();
    for (idx, expected) in [
        (0, TokenStatus::Valid),
        (7, TokenStatus::Invalid),
        (8, TokenStatus::Suspended),
        (MIN_ENTRIES - 1, TokenStatus::Valid),
    ] {
        assert_eq!(
            check_status(&token, &reference(idx), IssuerKey::Key(&public), NOW),
            Ok(expected)
        );
    }
    let verified = verify_status_list_token(
        &token,
        URI,
        IssuerKey::Key(&public),
        NOW,
        &TokenValidation::default(),
    )
    .unwrap();
    assert_eq!(verified.iss.as_deref(), Some("did:example:issuer"));
    assert_eq!(
        verified.aggregation_uri.as_deref(),
        Some("https://example.com/statuslists")
    );
    assert_eq!(verified.list.len(), MIN_ENTRIES);
    // ES256 works too.
    let p256 = P256SigningKey::from_bytes(&[5; 32]).unwrap();
    let token = issued_token(&p256, &claims(), None);
    assert_eq!(
        check_status(
            &token,
            &reference(7),
            IssuerKey::Key(&p256.public_key()),
            NOW
        ),
        Ok(TokenStatus::Invalid)
    );
}

#[test]
fn index_out_of_range_is_refused() {
    // Section 8.3 step 6: out of bounds means no statement can be made.
    let key = issuer_key();
    let token = issued_token(&key, &claims(), None);
    assert_eq!(
        check_status(
            &token,
            &reference(MIN_ENTRIES),
            IssuerKey::Key(&key.public_key()),
            NOW
        ),
        Err(StatusListError::IndexOutOfRange)
    );
}

#[test]
fn wrong_typ_is_refused() {
    // Section 5.1: typ MUST be statuslist+jwt.
    let key = issuer_key();
    let list = TokenStatusList::new(MIN_ENTRIES, Bits::One).unwrap();
    let payload = claims().payload(&list);
    for typ in [Some("JWT"), Some("dc+sd-jwt"), Some("statuslist+cwt"), None] {
        let mut header = Map::new();
        if let Some(typ) = typ {
            header.insert("typ".into(), Value::String(typ.into()));
        }
        let token = sign_compact(header, &payload, &key);
        assert_eq!(
            check_status(
                &token,
                &reference(0),
                IssuerKey::Key(&key.public_key()),
                NOW
            ),
            Err(StatusListError::TypMismatch),
            "{typ:?}"
        );
    }
    // The media-type form is the same type (RFC 7515 section 4.1.9).
    let header = obj(json!({"typ": "application/StatusList+JWT"}));
    let token = sign_compact(header, &payload, &key);
    assert_eq!(
        check_status(
            &token,
            &reference(0),
            IssuerKey::Key(&key.public_key()),
            NOW
        ),
        Ok(TokenStatus::Valid)
    );
}

#[test]
fn subject_other_than_the_referenced_uri_is_refused() {
    // Section 8.3 step 4a.
    let key = issuer_key();
    let token = issued_token(&key, &claims(), None);
    let other = StatusListReference {
        idx: 7,
        uri: "https://example.com/statuslists/2".into(),
    };
    assert_eq!(
        check_status(&token, &other, IssuerKey::Key(&key.public_key()), NOW),
        Err(StatusListError::SubjectMismatch)
    );
}

#[test]
fn expired_token_is_refused() {
    // Section 8.3 step 4c; RFC 7519 section 4.1.4: the current time must be before exp.
    let key = issuer_key();
    let token = issued_token(&key, &claims(), None);
    let public = key.public_key();
    let exp = NOW + 3600;
    let no_leeway = TokenValidation {
        leeway_seconds: 0,
        ..TokenValidation::default()
    };
    let at = |now: i64, options: &TokenValidation| {
        check_status_with(&token, &reference(0), IssuerKey::Key(&public), now, options)
    };
    assert_eq!(at(exp - 1, &no_leeway), Ok(TokenStatus::Valid));
    assert_eq!(at(exp, &no_leeway), Err(StatusListError::Expired));
    // By default, 60 s of leeway (RFC 7519 section 4.1.4); expired beyond it is refused.
    let skew = DEFAULT_CLOCK_SKEW_SECONDS;
    assert_eq!(
        check_status(
            &token,
            &reference(0),
            IssuerKey::Key(&public),
            exp + skew - 1
        ),
        Ok(TokenStatus::Valid)
    );
    assert_eq!(
        check_status(&token, &reference(0), IssuerKey::Key(&public), exp + skew),
        Err(StatusListError::Expired)
    );
    assert_eq!(
        check_status(&token, &reference(0), IssuerKey::Key(&public), exp + 86_400),
        Err(StatusListError::Expired)
    );
    let lenient = TokenValidation {
        leeway_seconds: 30,
        ..TokenValidation::default()
    };
    assert_eq!(
        check_status_with(
            &token,
            &reference(0),
            IssuerKey::Key(&public),
            exp + 29,
            &lenient
        ),
        Ok(TokenStatus::Valid)
    );
}

#[test]
fn token_issued_in_the_future_is_refused() {
    let key = issuer_key();
    let mut future = claims();
    future.iat = NOW + 100;
    let token = issued_token(&key, &future, None);
    assert_eq!(
        check_status(
            &token,
            &reference(0),
            IssuerKey::Key(&key.public_key()),
            NOW
        ),
        Err(StatusListError::IssuedInFuture)
    );
}

/// A list the issuer (re-)signed a moment after the verifier or wallet read its clock: `iat`
/// a second "in the future". The scenario test met this when the issuer re-signed its list
/// on revocation; with no leeway the status, and so the credential, was refused.
#[test]
fn token_issued_just_after_the_verifiers_now_is_accepted_within_the_leeway() {
    let key = issuer_key();
    let public = key.public_key();
    let issued_at = |iat: i64| {
        let mut claims = claims();
        claims.iat = iat;
        issued_token(&key, &claims, None)
    };
    let check = |token: &str, idx: usize| {
        check_status(token, &reference(idx), IssuerKey::Key(&public), NOW)
    };
    let token = issued_at(NOW + 1);
    assert_eq!(check(&token, 0), Ok(TokenStatus::Valid));
    // The status is still read: a revoked entry stays revoked.
    assert_eq!(check(&token, 7), Ok(TokenStatus::Invalid));
    // Up to the leeway, inclusive; beyond it, refused.
    let skew = DEFAULT_CLOCK_SKEW_SECONDS;
    assert_eq!(check(&issued_at(NOW + skew), 0), Ok(TokenStatus::Valid));
    assert_eq!(
        check(&issued_at(NOW + skew + 1), 0),
        Err(StatusListError::IssuedInFuture)
    );
    assert_eq!(
        check(&issued_at(NOW + 86_400), 0),
        Err(StatusListError::IssuedInFuture)
    );
    // With the leeway set to 0, even a second is refused (the old behaviour).
    let strict = TokenValidation {
        leeway_seconds: 0,
        ..TokenValidation::default()
    };
    assert_eq!(
        check_status_with(&token, &reference(0), IssuerKey::Key(&public), NOW, &strict),
        Err(StatusListError::IssuedInFuture)
    );
}

#[test]
fn leeway_is_bounded() {
    let key = issuer_key();
    let public = key.public_key();
    let mut future = claims();
    future.iat = NOW + 3600;
    future.exp = Some(NOW + 7200);
    let token = issued_token(&key, &future, None);
    // An hour of leeway is lowered to the maximum (5 minutes).
    let lax = TokenValidation {
        leeway_seconds: 3600,
        ..TokenValidation::default()
    };
    let at = |now: i64, options: &TokenValidation| {
        check_status_with(&token, &reference(0), IssuerKey::Key(&public), now, options)
    };
    assert_eq!(at(NOW, &lax), Err(StatusListError::IssuedInFuture));
    assert_eq!(
        at(NOW + 3600 - MAX_CLOCK_SKEW_SECONDS, &lax),
        Ok(TokenStatus::Valid)
    );
    // A negative leeway counts as none.
    let negative = TokenValidation {
        leeway_seconds: -100,
        ..TokenValidation::default()
    };
    assert_eq!(at(NOW + 3600, &negative), Ok(TokenStatus::Valid));
    assert_eq!(
        at(NOW + 3599, &negative),
        Err(StatusListError::IssuedInFuture)
    );
    assert_eq!(TokenValidation::default().leeway_seconds, 60);
}

#[test]
fn token_before_nbf_is_refused() {
    let key = issuer_key();
    let list = TokenStatusList::new(MIN_ENTRIES, Bits::One).unwrap();
    let mut payload = claims().payload(&list);
    payload.insert("nbf".into(), json!(NOW + 100));
    let token = sign_compact(StatusListTokenClaims::header(None), &payload, &key);
    assert_eq!(
        check_status(
            &token,
            &reference(0),
            IssuerKey::Key(&key.public_key()),
            NOW
        ),
        Err(StatusListError::NotYetValid)
    );
}

#[test]
fn signature_by_another_key_is_refused() {
    let key = issuer_key();
    let attacker = Ed25519SigningKey::from_seed(&[66; 32]);
    let token = issued_token(&attacker, &claims(), None);
    assert_eq!(
        check_status(
            &token,
            &reference(7),
            IssuerKey::Key(&key.public_key()),
            NOW
        ),
        Err(StatusListError::Jws(JwsError::SignatureInvalid))
    );
    // A changed payload under the original signature is refused as well.
    let token = issued_token(&key, &claims(), None);
    let parts: Vec<&str> = token.split('.').collect();
    let forged = section_5_1_example_token(&attacker);
    let forged_payload = forged.split('.').nth(1).unwrap();
    let spliced = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(
        check_status(
            &spliced,
            &reference(0),
            IssuerKey::Key(&key.public_key()),
            NOW
        ),
        Err(StatusListError::Jws(JwsError::SignatureInvalid))
    );
}

#[test]
fn unsigned_and_disallowed_algorithms_are_refused() {
    let key = issuer_key();
    let token = issued_token(&key, &claims(), None);
    let payload = token.split('.').nth(1).unwrap();
    let none_header =
        credentials::base64url::encode(json!({"alg": "none", "typ": "statuslist+jwt"}).to_string());
    let unsigned = format!("{none_header}.{payload}.");
    assert_eq!(
        check_status(
            &unsigned,
            &reference(0),
            IssuerKey::Key(&key.public_key()),
            NOW
        ),
        Err(StatusListError::Jws(JwsError::AlgorithmNotAllowed))
    );
    let es256_only = TokenValidation {
        algorithms: vec![credentials::jose::Algorithm::ES256],
        ..TokenValidation::default()
    };
    assert_eq!(
        check_status_with(
            &token,
            &reference(0),
            IssuerKey::Key(&key.public_key()),
            NOW,
            &es256_only
        ),
        Err(StatusListError::Jws(JwsError::AlgorithmNotAllowed))
    );
}

#[test]
fn status_list_claim_with_bad_bits_is_refused() {
    let key = issuer_key();
    let list = TokenStatusList::new(MIN_ENTRIES, Bits::One).unwrap();
    for bits in [json!(3), json!(0), json!(16), json!("1"), json!(1.5)] {
        let mut payload = claims().payload(&list);
        payload["status_list"]["bits"] = bits.clone();
        let token = sign_compact(StatusListTokenClaims::header(None), &payload, &key);
        assert_eq!(
            check_status(
                &token,
                &reference(0),
                IssuerKey::Key(&key.public_key()),
                NOW
            ),
            Err(StatusListError::InvalidBits),
            "{bits}"
        );
    }
}

#[test]
fn missing_or_malformed_claims_are_refused() {
    let key = issuer_key();
    let list = TokenStatusList::new(MIN_ENTRIES, Bits::One).unwrap();
    let cases: [(&str, Option<Value>, StatusListError); 10] = [
        ("sub", None, StatusListError::MissingProperty("sub")),
        (
            "sub",
            Some(json!(5)),
            StatusListError::InvalidProperty("sub"),
        ),
        (
            "iss",
            Some(json!(5)),
            StatusListError::InvalidProperty("iss"),
        ),
        (
            "ttl",
            Some(json!(-1)),
            StatusListError::InvalidProperty("ttl"),
        ),
        (
            "status_list",
            Some(json!("eNrbuRgAAhcBXQ")),
            StatusListError::InvalidProperty("status_list"),
        ),
        ("iat", None, StatusListError::MissingProperty("iat")),
        (
            "iat",
            Some(json!("1700000000")),
            StatusListError::InvalidTime("iat"),
        ),
        (
            "exp",
            Some(json!(null)),
            StatusListError::InvalidTime("exp"),
        ),
        (
            "ttl",
            Some(json!(0)),
            StatusListError::InvalidProperty("ttl"),
        ),
        (
            "status_list",
            None,
            StatusListError::MissingProperty("status_list"),
        ),
    ];
    for (claim, value, expected) in cases {
        let mut payload = claims().payload(&list);
        match value {
            Some(value) => payload.insert(claim.into(), value),
            None => payload.remove(claim),
        };
        let token = sign_compact(StatusListTokenClaims::header(None), &payload, &key);
        assert_eq!(
            check_status(
                &token,
                &reference(0),
                IssuerKey::Key(&key.public_key()),
                NOW
            ),
            Err(expected),
            "{claim}"
        );
    }
}

#[test]
fn status_list_members_are_checked() {
    // Section 4.2: `lst` is a string, `aggregation_uri` (optional) a string.
    for (status_list, expected) in [
        (json!({"bits": 1}), StatusListError::MissingProperty("lst")),
        (
            json!({"lst": "eNrbuRgAAhcBXQ"}),
            StatusListError::MissingProperty("bits"),
        ),
        (
            json!({"bits": 1, "lst": 7}),
            StatusListError::InvalidProperty("lst"),
        ),
        (
            json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ", "aggregation_uri": 7}),
            StatusListError::InvalidProperty("aggregation_uri"),
        ),
    ] {
        assert_eq!(
            TokenStatusList::from_json(&status_list),
            Err(expected),
            "{status_list}"
        );
    }
}

#[test]
fn malformed_lst_is_refused() {
    // Not base64url, base64 with padding, and base64url of bytes that are not ZLIB.
    for (lst, expected) in [
        ("eNrbuRgAAhcBXQ==", StatusListError::InvalidBase64Url),
        ("eNrbuRgAAhcBXQ+/", StatusListError::InvalidBase64Url),
        ("AAAAAAAA", StatusListError::InvalidCompression),
        // GZIP instead of ZLIB.
        (
            &*credentials::base64url::encode(super::gzip(&[0; 16])),
            StatusListError::InvalidCompression,
        ),
        // An empty list.
        (
            &*credentials::base64url::encode(super::zlib(&[])),
            StatusListError::ListTooSmall {
                entries: 0,
                minimum: 1,
            },
        ),
    ] {
        assert_eq!(
            TokenStatusList::decode(Bits::One, lst),
            Err(expected),
            "{lst}"
        );
    }
}

#[test]
fn oversized_decompression_is_refused() {
    // A ZLIB bomb: 16 MiB + 1 zero bytes compress to a few KiB.
    let bomb = credentials::base64url::encode(super::zlib(&vec![0; MAX_DECOMPRESSED_BYTES + 1]));
    assert!(bomb.len() < 64 * 1024);
    assert_eq!(
        TokenStatusList::decode(Bits::One, &bomb),
        Err(StatusListError::ListTooLarge)
    );
    // Exactly the cap is accepted.
    let at_cap = credentials::base64url::encode(super::zlib(&vec![0; MAX_DECOMPRESSED_BYTES]));
    assert_eq!(
        TokenStatusList::decode(Bits::Eight, &at_cap).unwrap().len(),
        MAX_DECOMPRESSED_BYTES
    );
}

#[test]
fn status_claim_must_hold_a_non_negative_integer_idx_and_a_uri() {
    // Section 6.2: idx is a non-negative integer, uri a URI.
    for (claim, expected) in [
        (
            json!({"status_list": {"idx": -1, "uri": URI}}),
            StatusListError::InvalidIndex,
        ),
        (
            json!({"status_list": {"idx": "3", "uri": URI}}),
            StatusListError::InvalidIndex,
        ),
        (
            json!({"status_list": {"idx": 1.5, "uri": URI}}),
            StatusListError::InvalidIndex,
        ),
        (
            json!({"status_list": {"uri": URI}}),
            StatusListError::MissingProperty("idx"),
        ),
        (
            json!({"status_list": {"idx": 0}}),
            StatusListError::MissingProperty("uri"),
        ),
        (
            json!({"status_list": {"idx": 0, "uri": "not a uri"}}),
            StatusListError::InvalidProperty("uri"),
        ),
        (
            json!({"other": {}}),
            StatusListError::MissingProperty("status_list"),
        ),
        (json!([]), StatusListError::InvalidProperty("status")),
    ] {
        assert_eq!(
            StatusListReference::from_status_claim(&claim),
            Err(expected),
            "{claim}"
        );
    }
    let reference = reference(412);
    assert_eq!(
        StatusListReference::from_status_claim(&reference.to_status_claim()),
        Ok(reference)
    );
}

#[test]
fn new_list_below_the_herd_privacy_minimum_is_refused() {
    assert_eq!(
        TokenStatusList::new(MIN_ENTRIES - 1, Bits::One),
        Err(StatusListError::ListTooSmall {
            entries: MIN_ENTRIES - 1,
            minimum: MIN_ENTRIES
        })
    );
    assert!(TokenStatusList::new(MIN_ENTRIES, Bits::Eight).is_ok());
}

/// Resolves a fixed set of verification methods under `assertionMethod`.
struct FixedResolver(HashMap<String, PublicKey>);

impl KeyResolver for FixedResolver {
    fn resolve_key(
        &self,
        method: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError> {
        if relationship != Relationship::AssertionMethod {
            return Err(KeyResolutionError::NotAuthorized);
        }
        self.0
            .get(method)
            .cloned()
            .ok_or(KeyResolutionError::NotFound)
    }
}

#[test]
fn kid_is_resolved_only_within_the_expected_issuer() {
    let key = issuer_key();
    let attacker = Ed25519SigningKey::from_seed(&[66; 32]);
    let resolver = FixedResolver(HashMap::from([
        ("did:example:issuer#key-1".to_owned(), key.public_key()),
        (
            "did:example:attacker#key-1".to_owned(),
            attacker.public_key(),
        ),
    ]));
    let by_issuer = IssuerKey::Resolver {
        resolver: &resolver,
        issuer: "did:example:issuer",
    };
    for kid in ["did:example:issuer#key-1", "#key-1"] {
        let token = issued_token(&key, &claims(), Some(kid));
        assert_eq!(
            check_status(&token, &reference(8), by_issuer, NOW),
            Ok(TokenStatus::Suspended),
            "{kid}"
        );
    }
    // A key of another DID, even one that resolves and signs correctly, is refused.
    for kid in ["did:example:attacker#key-1", "did:example:issuer2#key-1"] {
        let token = issued_token(&attacker, &claims(), Some(kid));
        assert_eq!(
            check_status(&token, &reference(8), by_issuer, NOW),
            Err(StatusListError::KeyResolution(
                KeyResolutionError::NotAuthorized
            )),
            "{kid}"
        );
    }
    let token = issued_token(&key, &claims(), None);
    assert_eq!(
        check_status(&token, &reference(8), by_issuer, NOW),
        Err(StatusListError::MissingProperty("kid"))
    );
    let token = issued_token(&key, &claims(), Some("#key-2"));
    assert_eq!(
        check_status(&token, &reference(8), by_issuer, NOW),
        Err(StatusListError::KeyResolution(KeyResolutionError::NotFound))
    );
}

#[test]
fn outcomes_map_to_report_codes_and_errors_fail_closed() {
    let cases: [(Result<TokenStatus, StatusListError>, Option<FailureCode>); 5] = [
        (Ok(TokenStatus::Valid), None),
        (Ok(TokenStatus::Invalid), Some(FailureCode::Revoked)),
        (Ok(TokenStatus::Suspended), Some(FailureCode::Suspended)),
        (
            Ok(TokenStatus::Other(3)),
            Some(FailureCode::StatusUnavailable),
        ),
        (
            Err(StatusListError::Expired),
            Some(FailureCode::StatusUnavailable),
        ),
    ];
    for (outcome, code) in cases {
        let mut report = VerificationReport::new();
        record_status(&mut report, &outcome);
        assert_eq!(report.checks().len(), 1);
        assert_eq!(report.checks()[0].check, Check::Status);
        assert_eq!(report.checks()[0].failure, code, "{outcome:?}");
        assert_eq!(report.is_verified(), code.is_none());
    }
}

fn bits_strategy() -> impl Strategy<Value = Bits> {
    prop_oneof![
        Just(Bits::One),
        Just(Bits::Two),
        Just(Bits::Four),
        Just(Bits::Eight)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn encode_decode_round_trip(
        bits in bits_strategy(),
        updates in proptest::collection::vec((0usize..MIN_ENTRIES, any::<u8>()), 0..64),
    ) {
        let mut list = TokenStatusList::new(MIN_ENTRIES, bits).unwrap();
        let mut model = HashMap::new();
        for (index, value) in updates {
            let value = if bits == Bits::Eight { value } else { value % (1 << bits.count()) };
            list.set(index, value).unwrap();
            model.insert(index, value);
        }
        let decoded = TokenStatusList::decode(bits, &list.encode()).unwrap();
        prop_assert_eq!(decoded.as_bytes(), list.as_bytes());
        prop_assert_eq!(decoded.len(), MIN_ENTRIES);
        for (index, value) in &model {
            prop_assert_eq!(decoded.get(*index).unwrap(), *value);
        }
        let non_zero = model.values().filter(|v| **v != 0).count();
        prop_assert_eq!(decoded.as_bytes().iter().map(|b| {
            let mut count = 0;
            for shift in (0..8).step_by(usize::from(bits.count())) {
                if (b >> shift) & ((1u16 << bits.count()) - 1) as u8 != 0 { count += 1; }
            }
            count
        }).sum::<usize>(), non_zero);
    }

    #[test]
    fn set_then_get_agrees_and_leaves_neighbours_alone(
        bits in bits_strategy(),
        index in 1usize..(MIN_ENTRIES - 1),
        value in any::<u8>(),
        neighbour in any::<u8>(),
    ) {
        let mask = if bits == Bits::Eight { 0xff } else { (1u8 << bits.count()) - 1 };
        let (value, neighbour) = (value & mask, neighbour & mask);
        let mut list = TokenStatusList::new(MIN_ENTRIES, bits).unwrap();
        list.set(index - 1, neighbour).unwrap();
        list.set(index + 1, neighbour).unwrap();
        list.set(index, value).unwrap();
        prop_assert_eq!(list.get(index).unwrap(), value);
        prop_assert_eq!(list.get(index - 1).unwrap(), neighbour);
        prop_assert_eq!(list.get(index + 1).unwrap(), neighbour);
        if bits != Bits::Eight {
            prop_assert_eq!(list.set(index, mask + 1), Err(StatusListError::StatusValueTooLarge));
        }
    }

    #[test]
    fn any_single_character_change_to_a_token_is_rejected(position in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.~-]") {
        let key = Ed25519SigningKey::from_seed(&[21; 32]);
        let list = TokenStatusList::new(MIN_ENTRIES, Bits::One).unwrap();
        let token = claims().sign(&list, &key, None);
        let at = position.index(token.len());
        prop_assume!(token[at..=at] != replacement);
        let mutated = format!("{}{}{}", &token[..at], replacement, &token[at + 1..]);
        prop_assert!(check_status(&mutated, &reference(0), IssuerKey::Key(&key.public_key()), NOW).is_err());
    }

    #[test]
    fn arbitrary_input_is_a_typed_error_never_a_panic(text in ".{0,200}", bits in 1u64..=8, idx in any::<u64>()) {
        let key = Ed25519SigningKey::from_seed(&[21; 32]);
        let _ = check_status(&text, &reference(0), IssuerKey::Key(&key.public_key()), NOW);
        if let Ok(bits) = Bits::from_count(bits) {
            let _ = TokenStatusList::decode(bits, &text);
        }
        let _ = TokenStatusList::from_json(&json!({"bits": bits, "lst": text}));
        let _ = StatusListReference::from_status_claim(&json!({"status_list": {"idx": idx, "uri": text}}));
    }
}

/// Arbitrary JSON leaves and small containers, biased towards the status claims' names.
fn arb_status_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9:/._~-]{0,24}".prop_map(Value::String),
        Just(json!(URI)),
    ];
    let key = prop_oneof![
        Just("status_list"),
        Just("idx"),
        Just("uri"),
        Just("bits"),
        Just("lst"),
        Just("aggregation_uri"),
        Just("other"),
    ]
    .prop_map(String::from);
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Harness: the untrusted inputs of a status check (the Referenced Token's `status`
    /// claim, a fetched Status List Token, its `status_list`) never panic the parsers.
    #[test]
    fn status_parsers_are_total(
        claim in arb_status_json(),
        token in "[A-Za-z0-9_.-]{0,200}",
        bits in 0u64..10,
        raw in proptest::collection::vec(any::<u8>(), 0..64),
        idx in any::<usize>(),
    ) {
        let _ = StatusListReference::from_status_claim(&claim);
        let _ = TokenStatusList::from_json(&claim);
        let key = issuer_key().public_key();
        let _ = verify_status_list_token(&token, URI, IssuerKey::Key(&key), NOW, &small_lists());
        // A well-formed ZLIB stream of arbitrary bytes, and the raw bytes themselves.
        use std::io::Write as _;
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(&raw).unwrap();
        for compressed in [zlib.finish().unwrap(), raw] {
            let lst = credentials::base64url::encode(compressed);
            if let Ok(list) = TokenStatusList::from_json(&json!({"bits": bits, "lst": lst})) {
                let _ = list.get(idx);
                let _ = list.get(list.len().saturating_sub(1));
            }
        }
    }
}
