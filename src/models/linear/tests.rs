use crate::rng::SplitMix64;

use super::{block::*, gram::*, kernels::*, matrix::*, params::*, predict::*, reference::*};
use crate::features::sparse::CsrMatrix;

/// Four points in 2-D (plus the implicit bias feature).
fn toy() -> (CsrMatrix, Vec<bool>) {
    let x = CsrMatrix::from_rows(
        2,
        vec![
            (vec![0], vec![1.0]),
            (vec![1], vec![1.0]),
            (vec![0, 1], vec![-1.0, -1.0]),
            (vec![], vec![]),
        ],
    );
    (x, vec![true, true, false, false])
}

#[test]
fn primal_objective_and_gradient_by_hand() {
    let (x, pos) = toy();
    // w = 0: every margin is 0, loss = C ln 2 per point.
    // C = 1 -> f(0) = 4 ln 2 = 2.7725887.
    let w0 = [0.0, 0.0, 0.0];
    assert!((primal_objective(&x, &pos, 1.0, 1.0, &w0) - 4.0 * 2f64.ln()).abs() < 1e-12);
    // grad(0) = -sum_i C y_i 0.5 [x_i, 1]
    //   = -0.5 * ([1,0,1] + [0,1,1] - [-1,-1,1] - [0,0,1]) = -0.5 * [2, 2, 0]
    //   = [-1, -1, 0].
    let g = primal_gradient(&x, &pos, 1.0, 1.0, &w0);
    assert!((g[0] + 1.0).abs() < 1e-12 && (g[1] + 1.0).abs() < 1e-12 && g[2].abs() < 1e-12);
    // w = [1, 0, 0], Cp = 2, Cn = 1: margins y_i w.x_i = 1, 0, 1, 0.
    // f = 0.5 + 2 ln(1 + e^-1) + 2 ln 2 + ln(1 + e^-1) + ln 2
    //   = 0.5 + 3 * 0.31326169 + 3 * 0.69314718 = 3.51922660.
    let w = [1.0, 0.0, 0.0];
    let f = primal_objective(&x, &pos, 2.0, 1.0, &w);
    assert!((f - 3.519_226_60).abs() < 1e-7, "{f}");
    // grad = w - sum C_i y_i sigma(-m_i) x_i with sigma(-1) = 0.26894142:
    // p1: 2*0.26894*[1,0,1]; p2: 2*0.5*[0,1,1];
    // p3: -1*0.26894*[-1,-1,1]; p4: -1*0.5*[0,0,1]
    // sum = [0.5378828+0.2689414, 1+0.2689414, 0.5378828+1-0.2689414-0.5]
    //     = [0.8068243, 1.2689414, 0.7689414]
    // grad = [1 - 0.8068243, -1.2689414, -0.7689414].
    let g = primal_gradient(&x, &pos, 2.0, 1.0, &w);
    let want = [0.193_175_7, -1.268_941_4, -0.768_941_4];
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{g:?}");
    }
    // Finite differences agree with the analytic gradient.
    for j in 0..3 {
        let mut wp = w;
        wp[j] += 1e-6;
        let mut wm = w;
        wm[j] -= 1e-6;
        let fd = (primal_objective(&x, &pos, 2.0, 1.0, &wp)
            - primal_objective(&x, &pos, 2.0, 1.0, &wm))
            / 2e-6;
        assert!((fd - g[j]).abs() < 1e-5);
    }
}

#[test]
fn interleaved_dot_products_equal_the_single_ones_bit_for_bit() {
    let mut rng = SplitMix64::new(3);
    for n in [1usize, 4, 7, 33] {
        let a: Vec<f32> = (0..n)
            .map(|_| rng.below_modulo(1000) as f32 / 7.0 - 70.0)
            .collect();
        let kernels: Vec<f64> = (0..n * ROW_GROUP)
            .map(|_| rng.below_modulo(1 << 20) as f64 / 3.0)
            .collect();
        let got = dot4_rows(&a, &kernels);
        for (d, &g) in got.iter().enumerate() {
            assert_eq!(
                g.to_bits(),
                dot4(&a, &kernels[d * n..(d + 1) * n]).to_bits()
            );
        }
    }
}

#[test]
fn dual_solver_reaches_primal_optimum() {
    let (x, pos) = toy();
    let sol = solve_l2r_lr_dual(&x, &pos, 10.0, 10.0, 1e-6, 1000, 1);
    assert!(sol.converged);
    let g = primal_gradient(&x, &pos, 10.0, 10.0, &sol.w);
    assert!(norm(&g) < 1e-4, "KKT violated: {g:?}");
    // Objective is no worse than nearby points.
    let f = primal_objective(&x, &pos, 10.0, 10.0, &sol.w);
    for j in 0..3 {
        for d in [-1e-3, 1e-3] {
            let mut w2 = sol.w.clone();
            w2[j] += d;
            assert!(primal_objective(&x, &pos, 10.0, 10.0, &w2) >= f);
        }
    }
    assert!(sol.relative_grad_norm < 1e-4);
}

#[test]
fn block_solvers_match_the_reference_solver() {
    let (x, y) = three_class_toy();
    let problems: Vec<BinaryProblem> = (0..3)
        .map(|k| BinaryProblem {
            pos: y.iter().map(|&l| l == k).collect(),
            cp: 10.0 + k as f64,
            cn: 10.0,
        })
        .collect();
    let gram = Gram::new(&x);
    let primal = solve_l2r_lr_dual_block(&x, None, &problems, 1e-3, 1000, 7);
    let dual = solve_l2r_lr_dual_block(&x, Some(&gram), &problems, 1e-3, 1000, 7);
    for (k, p) in problems.iter().enumerate() {
        let r = solve_l2r_lr_dual(&x, &p.pos, p.cp, p.cn, 1e-3, 1000, 7);
        // Same arithmetic in the same order: identical bits.
        assert_eq!(primal[k].w, r.w);
        assert_eq!(primal[k].iterations, r.iterations);
        assert!((primal[k].objective - r.objective).abs() < 1e-12);
        assert!((primal[k].relative_grad_norm - r.relative_grad_norm).abs() < 1e-12);
        // The Gram route sums in another order over an f32 Gram matrix: equal up to
        // f32 rounding of the kernel entries.
        assert!(dual[k].w.is_empty());
        let mut w = vec![0f64; x.n_cols() + 1];
        for i in 0..x.n_rows() {
            let (idx, val) = x.row(i);
            let y = if p.pos[i] { 1.0 } else { -1.0 };
            axpy_row(y * dual[k].alpha[i], idx, val, &mut w);
        }
        for (a, b) in w.iter().zip(&r.w) {
            assert!((a - b).abs() < 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
        assert!((dual[k].objective - r.objective).abs() < 1e-6 * r.objective);
        assert!((dual[k].relative_grad_norm - r.relative_grad_norm).abs() < 1e-5);
        assert!(r.relative_grad_norm < 1e-3);
    }
}

fn three_class_toy() -> (CsrMatrix, Vec<usize>) {
    // Feature k marks class k, feature 3 is noise shared by all.
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for k in 0..3u32 {
        for r in 0..4 {
            let noise = 0.1 * r as f32;
            rows.push((vec![k, 3], vec![1.0, noise]));
            y.push(k as usize);
        }
    }
    (CsrMatrix::from_rows(4, rows), y)
}

#[test]
fn ovr_ranks_the_right_class_first() {
    let (x, y) = three_class_toy();
    let m = LogRegParams::default().fit(&x, &y, 3).unwrap();
    assert_eq!(m.n_problems(), 3);
    assert_eq!(m.predict(&x), y);
    assert!(m.report().all_converged());
    let p = m.predict_proba(&x);
    for row in p.chunks(3) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
    let test = CsrMatrix::from_rows(4, vec![(vec![2], vec![1.0]), (vec![0], vec![1.0])]);
    assert_eq!(m.predict(&test), vec![2, 0]);
}

/// `n` rows of `per_row` random features of `d`, and a class of three per row.
fn random_rows(n: usize, d: u32, per_row: usize, seed: u64) -> (CsrMatrix, Vec<usize>) {
    let mut rng = SplitMix64::new(seed);
    let rows = (0..n)
        .map(|_| {
            let mut idx: Vec<u32> = (0..per_row).map(|_| rng.below(d as u64) as u32).collect();
            idx.sort_unstable();
            idx.dedup();
            let val = idx
                .iter()
                .map(|_| 0.1 + rng.below(100) as f32 / 100.0)
                .collect();
            (idx, val)
        })
        .collect();
    let y = (0..n).map(|_| rng.below(3) as usize).collect();
    (CsrMatrix::from_rows(d as usize, rows), y)
}

#[test]
fn label_sets_of_one_label_each_fit_exactly_the_one_vs_rest_problems() {
    // Multi-label with every set a single class is multi-class one-vs-rest with more than
    // two classes: the same problems, costs and draws, so the same scores bit for bit, on
    // both routes (Gram: few dense rows; folded: many sparse rows).
    for (n, d, per_row) in [(20, 60, 40), (300, 500, 3)] {
        let (x, y) = random_rows(n, d, per_row, 7);
        assert_eq!(Gram::pays_off(&x), n == 20);
        let sets: Vec<Vec<u32>> = y.iter().map(|&c| vec![c as u32]).collect();
        let p = LogRegParams::default();
        let ovr = p.fit_owned(x.clone(), &y, 3).unwrap();
        let ml = p.fit_sets_owned(x.clone(), &sets, 3).unwrap();
        assert_eq!(ml.n_problems(), 3);
        assert_eq!(ovr.decision_function(&x), ml.decision_function(&x));
        // Independent probabilities are each score's sigmoid, not normalised.
        let pi = ml.predict_proba_independent(&x);
        for (s, q) in ml.decision_function(&x).iter().zip(&pi) {
            assert_eq!(*q, sigmoid(*s as f64) as f32);
        }
    }
}

#[test]
fn two_labels_make_two_problems_and_sets_may_overlap_or_be_empty() {
    let (x, _) = random_rows(30, 40, 10, 3);
    // Row i: label 0 when i is even, label 1 when i % 3 == 0, none otherwise.
    let sets: Vec<Vec<u32>> = (0..30u32)
        .map(|i| {
            (0..2)
                .filter(|&l| if l == 0 { i % 2 == 0 } else { i % 3 == 0 })
                .collect()
        })
        .collect();
    // A tight tolerance: the comparison is about the problems, not where the solver stops.
    let p = LogRegParams {
        tol: 1e-8,
        ..Default::default()
    };
    let m = p.fit_sets_owned(x.clone(), &sets, 2).unwrap();
    assert_eq!((m.n_classes(), m.n_problems()), (2, 2));
    m.validate().unwrap();
    // Each label's problem alone equals a binary fit on that label's targets.
    for l in 0..2u32 {
        let y: Vec<usize> = sets.iter().map(|s| usize::from(s.contains(&l))).collect();
        let bin = p.fit(&x, &y, 2).unwrap();
        let a = m.decision_function(&x);
        let b = bin.decision_function(&x);
        for (i, row) in b.chunks(2).enumerate() {
            assert!(
                (a[i * 2 + l as usize] - row[1]).abs() < 1e-5,
                "label {l} row {i}"
            );
        }
    }
    // Label indices must be below the label count.
    let bad = vec![vec![2u32]; 30];
    assert!(LogRegParams::default().fit_sets_owned(x, &bad, 2).is_err());
}

#[test]
fn binary_fits_one_problem_with_class_one_positive() {
    let x = CsrMatrix::from_rows(
        2,
        vec![
            (vec![0], vec![1.0]),
            (vec![0], vec![0.9]),
            (vec![1], vec![1.0]),
            (vec![1], vec![0.8]),
        ],
    );
    let y = [1, 1, 0, 0];
    let m = LogRegParams::default().fit(&x, &y, 2).unwrap();
    assert_eq!(m.n_problems(), 1);
    // Feature 0 indicates class 1, so its weight must be positive.
    let (w, _) = m.weights_for(0, &[0, 1]).unwrap();
    assert!(w[0] > 0.0);
    assert!(w[1] < 0.0);
    assert!(m.weights_for(1, &[0]).is_none());
    let d = m.decision_function(&x);
    for row in d.chunks(2) {
        assert_eq!(row[0], -row[1]);
    }
    assert_eq!(m.predict(&x), y.to_vec());
    let p = m.predict_proba(&x);
    assert!(p[1] > 0.5 && p[7] < 0.5);
    assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
}

#[test]
fn balanced_weights_raise_the_minority_class() {
    // 1 positive vs 5 negatives of an identical point: balanced weights
    // make both sides weigh the same, so the score moves towards 0.
    let rows = (0..6).map(|_| (vec![0], vec![1.0])).collect();
    let x = CsrMatrix::from_rows(1, rows);
    let y = [1, 0, 0, 0, 0, 0];
    // A tight tolerance: the test is about the weighting, not where the solver stops.
    let tight = LogRegParams {
        tol: 1e-4,
        ..Default::default()
    };
    let plain = tight.fit(&x, &y, 2).unwrap();
    let bal = LogRegParams {
        class_weight_balanced: true,
        ..tight
    }
    .fit(&x, &y, 2)
    .unwrap();
    let s_plain = plain.decision_function(&x)[1];
    let s_bal = bal.decision_function(&x)[1];
    assert!(s_plain < -1.0, "{s_plain}");
    assert!(s_bal.abs() < 1e-2, "{s_bal}");
}

#[test]
fn deterministic_across_thread_counts() {
    // 20 classes: more than one block, so blocks run on both threads.
    let n_classes = 20;
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for k in 0..n_classes as u32 {
        for r in 0..3u32 {
            rows.push((vec![k, 20 + r], vec![1.0, 0.3]));
            y.push(k as usize);
        }
    }
    let x = CsrMatrix::from_rows(23, rows);
    let fit_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| LogRegParams::default().fit(&x, &y, n_classes).unwrap())
    };
    assert_eq!(fit_with(2).predict(&x), y);
    let a = serde_json::to_vec(&fit_with(1)).unwrap();
    let b = serde_json::to_vec(&fit_with(2)).unwrap();
    assert_eq!(a, b);
    let (m1, m2) = (fit_with(1), fit_with(2));
    let d1: Vec<u32> = m1
        .decision_function(&x)
        .iter()
        .map(|v| v.to_bits())
        .collect();
    let d2: Vec<u32> = m2
        .decision_function(&x)
        .iter()
        .map(|v| v.to_bits())
        .collect();
    assert_eq!(d1, d2);
}

#[test]
fn params_and_inputs_are_checked() {
    let bad = |p: LogRegParams| p.check().unwrap_err().to_string();
    let d = LogRegParams::default();
    assert!(bad(LogRegParams { c: 0.0, ..d }).contains("C must"));
    assert!(bad(LogRegParams { c: f64::NAN, ..d }).contains("NaN"));
    assert!(bad(LogRegParams { tol: -1.0, ..d }).contains("-1"));
    assert!(bad(LogRegParams { max_iter: 0, ..d }).contains("max_iter"));
    let (x, y) = three_class_toy();
    assert!(d.fit(&x, &y[1..], 3).is_err());
    assert!(d
        .fit(&x, &y, 2)
        .unwrap_err()
        .to_string()
        .contains("label 2"));
    assert!(d.fit(&CsrMatrix::zeros(0, 4), &[], 3).is_err());
}

#[test]
fn max_iter_is_reported_not_panicked() {
    let (x, y) = three_class_toy();
    let p = LogRegParams {
        max_iter: 1,
        tol: 1e-12,
        ..Default::default()
    };
    let m = p.fit(&x, &y, 3).unwrap();
    assert!(!m.report().all_converged());
    assert_eq!(m.report().iterations, vec![1, 1, 1]);
}

/// `three_class_toy` plus one feature per row that no other row holds, so the primal
/// route folds a third of the columns.
fn singleton_toy() -> (CsrMatrix, Vec<usize>) {
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for k in 0..3u32 {
        for r in 0..4u32 {
            rows.push((vec![k, 3, 4 + k * 4 + r], vec![1.0, 0.1 * r as f32, 0.5]));
            y.push(k as usize);
        }
    }
    (CsrMatrix::from_rows(16, rows), y)
}

#[test]
fn folded_route_reaches_the_reference_optimum() {
    let (x, y) = singleton_toy();
    let params = LogRegParams {
        tol: 1e-5,
        ..Default::default()
    };
    let problems = params.problems(Targets::Classes(&y), 3);
    let m = params.fit_folded(x.clone(), Targets::Classes(&y), 3, &problems);
    assert!(matches!(m.weights, super::model::Weights::Folded(_)) && m.report().all_converged());
    let all: Vec<u32> = (0..16).collect();
    for (k, &(c, cp, cn)) in problems.iter().enumerate() {
        let pos: Vec<bool> = y.iter().map(|&l| l == c).collect();
        let r = solve_l2r_lr_dual(&x, &pos, cp, cn, 1e-5, 1000, 0);
        let (w, b) = m.weights_for(k, &all).unwrap();
        for (j, (a, e)) in w.iter().chain([&b]).zip(&r.w).enumerate() {
            assert!((a - e).abs() < 1e-3 * (1.0 + e.abs()), "w[{j}] {a} vs {e}");
        }
        let rep = m.report();
        assert!((rep.objective[k] - r.objective).abs() < 1e-5 * r.objective);
        assert!((rep.relative_grad_norm[k] - r.relative_grad_norm).abs() < 1e-3);
        // Scores from the stored form equal w . x + b with the weights above.
        let d = m.decision_function(&x);
        for i in 0..x.n_rows() {
            let (idx, val) = x.row(i);
            let s: f64 = b + idx
                .iter()
                .zip(val)
                .map(|(&j, &v)| w[j as usize] * v as f64)
                .sum::<f64>();
            assert!(
                (d[i * 3 + k] as f64 - s).abs() < 1e-4,
                "{} vs {s}",
                d[i * 3 + k]
            );
        }
    }
    assert_eq!(m.predict(&x), y);
    // Columns beyond the fit and columns no training row holds score nothing.
    let probe = CsrMatrix::from_rows(40, vec![(vec![39], vec![1.0])]);
    let bias: Vec<f32> = (0..3)
        .map(|k| m.weights_for(k, &[]).unwrap().1 as f32)
        .collect();
    assert_eq!(m.decision_function(&probe), bias);
}

#[test]
fn folded_route_is_thread_count_invariant() {
    // 20 classes: two blocks of 10 problems.
    assert_eq!(super::folded::block_sizes(20), vec![10, 10]);
    assert_eq!(super::folded::block_sizes(105), vec![53, 52]);
    assert_eq!(super::folded::block_sizes(3), vec![3]);
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for k in 0..20u32 {
        for r in 0..3u32 {
            rows.push((vec![k, 20 + r, 23 + k * 3 + r], vec![1.0, 0.3, 0.2]));
            y.push(k as usize);
        }
    }
    let x = CsrMatrix::from_rows(83, rows);
    let params = LogRegParams::default();
    let problems = params.problems(Targets::Classes(&y), 20);
    let fit_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| params.fit_folded(x.clone(), Targets::Classes(&y), 20, &problems))
    };
    let (a, b) = (fit_with(1), fit_with(2));
    assert_eq!(a.predict(&x), y);
    assert_eq!(
        serde_json::to_vec(&a).unwrap(),
        serde_json::to_vec(&b).unwrap()
    );
}

/// Synthetic notes over a small alphabet, so hashed columns are shared by many rows; one
/// note repeats a trigram more than 255 times when `long` is set.
fn hashed_corpus(long: bool) -> (Vec<String>, Vec<usize>) {
    let words = [
        "боль",
        "кашель",
        "жар",
        "сыпь",
        "зуд",
        "тошнота",
        "слабость",
        "отёк",
    ];
    let mut rng = SplitMix64::new(7);
    let mut docs = Vec::new();
    let mut y = Vec::new();
    for i in 0..3000usize {
        let k = i % 6;
        let mut d = format!("{} {}", words[k], words[k + 1]);
        for _ in 0..4 {
            d.push(' ');
            d.push_str(words[rng.below_modulo(words.len())]);
        }
        docs.push(d);
        y.push(k);
    }
    if long {
        docs[0] = "а".repeat(300);
    }
    (docs, y)
}

#[test]
fn counts_route_gives_the_same_model_as_the_formed_matrix() {
    for (long, sublinear) in [(false, false), (false, true), (true, false)] {
        let (docs, y) = hashed_corpus(long);
        let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
        let tfidf = crate::features::tfidf::TfidfParams {
            hash_bits: Some(10),
            sublinear_tf: sublinear,
            ..Default::default()
        };
        let (_, m) = tfidf.fit_counts(&docs).unwrap();
        assert_eq!(m.big.is_empty(), !long);
        assert!(
            !Gram::pays_off_dims(m.n_rows, m.nnz()),
            "the primal route is tested"
        );
        let x = m.clone().into_csr();
        assert_eq!(x, tfidf.fit(&docs).unwrap().1);
        let params = LogRegParams::default();
        let a = params.fit_owned(x.clone(), &y, 6).unwrap();
        let b = params.fit_owned(m.clone(), &y, 6).unwrap();
        assert!(matches!(b.weights, super::model::Weights::Folded(_)));
        let what = format!("long {long}, sublinear {sublinear}");
        assert_eq!(
            serde_json::to_vec(&a).unwrap(),
            serde_json::to_vec(&b).unwrap(),
            "{what}"
        );
        assert_eq!(a.decision_function(&x), b.decision_function(&x), "{what}");
        let sets: Vec<Vec<u32>> = y.iter().map(|&k| vec![k as u32, 5 - k as u32]).collect();
        let a = params.fit_sets_owned(x.clone(), &sets, 6).unwrap();
        let b = params.fit_sets_owned(m, &sets, 6).unwrap();
        assert_eq!(
            serde_json::to_vec(&a).unwrap(),
            serde_json::to_vec(&b).unwrap(),
            "sets, {what}"
        );
    }
}
