use super::*;

#[test]
fn paper_rows_parse_to_primary_figures() {
    let s = paper_series(&parse_paper_list("naive, Feature_Based")).unwrap();
    assert_eq!(s[0].name, "paper: Naive");
    assert!((s[0].values[0].unwrap() - (10.58 + 22.02) / 2.0).abs() < 1e-9);
    assert_eq!(s[0].values[2], Some(50.0));
    assert_eq!(s[1].values[5], Some(58.46));
    assert!(parse_paper_list("none").is_empty());
    let err = paper_series(&["gpt".into()]).unwrap_err().to_string();
    assert!(err.contains("`gpt`") && err.contains("rupoolbert"), "{err}");
}

#[test]
fn labels_keep_cyrillic_and_mark_what_the_font_lacks() {
    assert_eq!(chart_label("модель-1 <b> ✓"), "модель-1 <b> ?");
}

#[test]
fn groups_put_the_benchmark_first_and_own_tasks_after_overall() {
    let own = System {
        name: "mine".into(),
        cells: vec![("toy".into(), 90.0, None)],
        benchmark: false,
        missing: 0,
        folder: "mine".into(),
        confusions: Vec::new(),
    };
    let labels = |g: &[Group]| g.iter().map(|g| g.label.clone()).collect::<Vec<_>>();
    assert_eq!(labels(&chart_groups(std::slice::from_ref(&own))), ["toy"]);
    let bench = System {
        name: "b".into(),
        cells: vec![
            ("RuMedTop3".into(), 50.0, None),
            (OVERALL.into(), 10.0, None),
        ],
        benchmark: true,
        missing: 4,
        folder: "b".into(),
        confusions: Vec::new(),
    };
    let g = chart_groups(&[own.clone(), bench.clone()]);
    assert_eq!(
        labels(&g),
        [
            "Top3",
            "SymptomRec",
            "DaNet",
            "NLI",
            "NER",
            "Overall",
            "toy"
        ]
    );
    let mut want = vec![None; 7];
    want[6] = Some(90.0);
    assert_eq!(own.series(&g).values, want);
    let mut want = vec![None; 7];
    want[0] = Some(50.0);
    want[5] = Some(10.0);
    assert_eq!(bench.series(&g).values, want);
}
