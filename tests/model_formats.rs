//! Every model-file format this crate has written still loads and predicts as the build that
//! wrote it did: `tests/fixtures/formats/` holds model files of formats 2, 3 and 4 (written by
//! `scripts/make-format-fixtures.sh` with the build of their time, trained on the synthetic
//! fixtures) beside the predictions that build made with them; today's `predict` must print
//! the same bytes.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::ok_in;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Fixture {
    name: String,
    format: u32,
    input: String,
}

fn manifest() -> Vec<Fixture> {
    let path = root().join("tests/fixtures/formats/MANIFEST.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "MANIFEST.tsv line {l:?}");
            Fixture {
                name: f[0].to_string(),
                format: f[1].parse().unwrap(),
                input: f[2].to_string(),
            }
        })
        .collect()
}

#[test]
fn the_fixtures_cover_every_format_written() {
    let formats: BTreeSet<u32> = manifest().iter().map(|f| f.format).collect();
    assert_eq!(formats, BTreeSet::from([2, 3, 4]));
    for f in manifest() {
        let bytes =
            std::fs::read(root().join(format!("tests/fixtures/formats/{}.rmb", f.name))).unwrap();
        assert_eq!(&bytes[..8], b"RMDBENCH", "{}", f.name);
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        assert_eq!(version, f.format, "{}: the header's format", f.name);
    }
}

#[test]
fn every_old_model_file_predicts_as_when_it_was_written() {
    let dir = root();
    let fixtures = manifest();
    assert!(fixtures.len() >= 10, "{} fixtures", fixtures.len());
    for f in fixtures {
        let model = format!("tests/fixtures/formats/{}.rmb", f.name);
        let (out, _) = ok_in(
            &dir,
            &[
                "predict", "--model", &model, "--input", &f.input, "--top-k", "3",
            ],
        );
        let want_path = dir.join(format!("tests/fixtures/formats/{}.expected.jsonl", f.name));
        let want = std::fs::read_to_string(&want_path).unwrap();
        assert!(
            out == want,
            "{} (format {}): predictions differ from the ones its build made\n--- got\n{out}\n--- want\n{want}",
            f.name,
            f.format
        );
    }
}
