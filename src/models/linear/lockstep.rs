//! The coordinate descent that every route of the logistic-regression solver shares:
//! liblinear's dual coordinate descent for L2-regularised logistic regression (solver 7; Yu,
//! Huang & Lin 2011, "Dual coordinate descent methods for logistic regression and maximum
//! entropy models", Algorithm 5) run on several binary problems in lock-step over the same rows.
//!
//! [`CoordinateStep`] is the single-variable sub-problem (a safeguarded Newton method on one dual
//! variable); [`LockStep`] is what an epoch keeps per problem (the dual pairs, the shared row
//! permutation, inner tolerances, epoch counts, the stopping rule). The routes differ only in how
//! they turn the duals into margins `w . [x_i, 1]`: through primal weights (the blocked route),
//! the Gram matrix (the Gram route), or shared weights plus folded single-row features (the
//! primal route of `folded`); they pass the margins in and receive the changes of the duals.

use super::kernels::{BinaryProblem, DualSolution};
use crate::rng::SplitMix64;

/// One coordinate of liblinear's dual solver for one problem: the safeguarded Newton
/// minimisation of `g(z) = z log z + (C - z) log(C - z) + 0.5 a (z - a_old)^2 + s b (z - a_old)`
/// over whichever of `a_i` and `C_i - a_i` is smaller (liblinear's `solve_l2r_lr_dual`; Yu, Huang
/// & Lin 2011, Algorithm 5). Every route of the solver takes its steps through [`Self::run`].
pub(crate) struct CoordinateStep {
    /// `Q_ii = |[x_i, 1]|^2`.
    pub a: f64,
    /// `C_i`.
    pub c: f64,
    /// `y_i w . [x_i, 1]`.
    pub bb: f64,
    /// Inner Newton tolerance of the problem this epoch.
    pub innereps: f64,
}

/// Newton steps per coordinate at most (liblinear's `max_inner_iter`).
const MAX_INNER_ITER: usize = 100;
/// Step shrink factor when a Newton step leaves the domain (liblinear's `eta`).
const ETA: f64 = 0.1;

impl CoordinateStep {
    /// Updates `pair = [a_i, C_i - a_i]`, the epoch's largest `|g'|` and the Newton step
    /// count; returns the signed change of `a_i` when it moved.
    #[inline]
    pub fn run(&self, pair: &mut [f64; 2], gmax: &mut f64, newton: &mut usize) -> Option<f64> {
        let (a, c, bb) = (self.a, self.c, self.bb);
        let (mut ind1, mut ind2, mut sign) = (0, 1, 1.0);
        if 0.5 * a * (pair[ind2] - pair[ind1]) + bb < 0.0 {
            ind1 = 1;
            ind2 = 0;
            sign = -1.0;
        }
        let alpha_old = pair[ind1];
        let mut z = alpha_old;
        if c - z < 0.5 * c {
            z *= 0.1;
        }
        let mut gp = a * (z - alpha_old) + sign * bb + (z / (c - z)).ln();
        *gmax = gmax.max(gp.abs());
        let mut inner = 0;
        while inner <= MAX_INNER_ITER {
            if gp.abs() < self.innereps {
                break;
            }
            let gpp = a + c / (c - z) / z;
            let tmpz = z - gp / gpp;
            if tmpz <= 0.0 {
                z *= ETA;
            } else {
                z = tmpz;
            }
            gp = a * (z - alpha_old) + sign * bb + (z / (c - z)).ln();
            *newton += 1;
            inner += 1;
        }
        if inner == 0 {
            return None;
        }
        pair[ind1] = z;
        pair[ind2] = c - z;
        Some(sign * (z - alpha_old))
    }
}

/// What liblinear's dual coordinate descent keeps per binary problem, for `nb` problems solved
/// in lock-step over the same `l` rows. All problems share the row permutation of each epoch
/// (drawn from the seed); a problem that has met the stopping rule is frozen, so each problem's
/// arithmetic is that of a one-problem solver with the same seed, whatever the grouping of
/// problems into blocks or threads.
pub(super) struct LockStep {
    l: usize,
    nb: usize,
    /// Row-major labels, `pos[i * nb + b]`: a row's problems read one cache line.
    pos: Vec<bool>,
    /// `C_i` of positive and of negative rows, per problem.
    cp: Vec<f64>,
    cn: Vec<f64>,
    /// `alpha[(i * nb + b) * 2] = a_i` of problem `b`, the next entry `C_i - a_i`, kept apart so
    /// that both logarithms stay accurate when `a_i` is close to either bound.
    pub(super) alpha: Vec<f64>,
    /// This epoch's order of the rows.
    index: Vec<usize>,
    rng: SplitMix64,
    eps: f64,
    innereps_min: f64,
    innereps: Vec<f64>,
    iterations: Vec<usize>,
    active: Vec<bool>,
    /// This epoch's largest `|g'(a_i)|` and Newton step count, per problem.
    gmax: Vec<f64>,
    newton: Vec<usize>,
}

impl LockStep {
    /// The start of a solve: `a_i = min(0.001 C_i, 1e-8)` everywhere (liblinear's), stopping
    /// tolerance `eps`, row permutations drawn from `seed`.
    pub(super) fn new(problems: &[BinaryProblem], l: usize, eps: f64, seed: u64) -> Self {
        let nb = problems.len();
        let pos: Vec<bool> = (0..l * nb)
            .map(|ib| problems[ib % nb].pos[ib / nb])
            .collect();
        let cp: Vec<f64> = problems.iter().map(|p| p.cp).collect();
        let cn: Vec<f64> = problems.iter().map(|p| p.cn).collect();
        let mut alpha = vec![0f64; 2 * l * nb];
        for ib in 0..l * nb {
            let c = if pos[ib] { cp[ib % nb] } else { cn[ib % nb] };
            let a0 = (0.001 * c).min(1e-8);
            alpha[ib * 2] = a0;
            alpha[ib * 2 + 1] = c - a0;
        }
        LockStep {
            l,
            nb,
            pos,
            cp,
            cn,
            alpha,
            index: (0..l).collect(),
            rng: SplitMix64::new(seed),
            eps,
            innereps_min: eps.min(1e-8),
            innereps: vec![1e-2; nb],
            iterations: vec![0; nb],
            active: vec![true; nb],
            gmax: vec![0.0; nb],
            newton: vec![0; nb],
        }
    }

    /// `y_i` of row `i` in problem `b`, as +1 or -1.
    #[inline(always)]
    fn sign_y(&self, b: usize, i: usize) -> f64 {
        if self.pos[i * self.nb + b] {
            1.0
        } else {
            -1.0
        }
    }

    /// `C_i` of row `i` in problem `b`.
    #[inline(always)]
    fn upper(&self, b: usize, i: usize) -> f64 {
        if self.pos[i * self.nb + b] {
            self.cp[b]
        } else {
            self.cn[b]
        }
    }

    /// `a_i y_i` of row `i` in problem `b`: its weight in `w = sum_i a_i y_i [x_i, 1]`.
    #[inline]
    pub(super) fn weight(&self, i: usize, b: usize) -> f64 {
        self.sign_y(b, i) * self.alpha[(i * self.nb + b) * 2]
    }

    /// Starts an epoch: false when every problem has stopped, else the rows are shuffled (a
    /// Fisher-Yates pass, liblinear's) and the epoch's maxima reset.
    pub(super) fn start_epoch(&mut self) -> bool {
        if !self.active.iter().any(|&a| a) {
            return false;
        }
        for i in 0..self.l {
            let j = i + self.rng.below_modulo(self.l - i);
            self.index.swap(i, j);
        }
        self.gmax.fill(0.0);
        self.newton.fill(0);
        true
    }

    /// The row visited `k`-th this epoch, if `k < l`.
    #[inline(always)]
    pub(super) fn row_at(&self, k: usize) -> Option<usize> {
        self.index.get(k).copied()
    }

    /// One coordinate step on row `i` (with `Q_ii = a`) in every active problem. `margin(b, y_i,
    /// a_i)` gives problem `b`'s `w . [x_i, 1]`; `moved(b, d)` receives the change `d` of
    /// `a_i y_i` of each problem whose dual moved. Returns whether any did.
    #[inline(always)]
    pub(super) fn step_row(
        &mut self,
        i: usize,
        a: f64,
        margin: impl Fn(usize, f64, f64) -> f64,
        mut moved: impl FnMut(usize, f64),
    ) -> bool {
        let mut any = false;
        for b in 0..self.nb {
            if !self.active[b] {
                continue;
            }
            let yi = self.sign_y(b, i);
            let base = (i * self.nb + b) * 2;
            let step = CoordinateStep {
                a,
                c: self.upper(b, i),
                bb: yi * margin(b, yi, self.alpha[base]),
                innereps: self.innereps[b],
            };
            let pair: &mut [f64; 2] = (&mut self.alpha[base..base + 2]).try_into().expect("2");
            if let Some(change) = step.run(pair, &mut self.gmax[b], &mut self.newton[b]) {
                moved(b, change * yi);
                any = true;
            }
        }
        any
    }

    /// Whether problem `b` has not met the stopping rule yet.
    pub(super) fn is_active(&self, b: usize) -> bool {
        self.active[b]
    }

    /// Ends an epoch: a problem whose largest `|g'|` was below `eps` stops (liblinear's rule);
    /// one that took few Newton steps (at most `l / 10`) tightens its inner tolerance tenfold.
    pub(super) fn end_epoch(&mut self) {
        for b in 0..self.nb {
            if !self.active[b] {
                continue;
            }
            self.iterations[b] += 1;
            if self.gmax[b] < self.eps {
                self.active[b] = false;
            } else if self.newton[b] <= self.l / 10 {
                self.innereps[b] = self.innereps_min.max(0.1 * self.innereps[b]);
            }
        }
    }

    /// Each problem's solution: `w(b)` its primal weights (empty where the route keeps none),
    /// `diag[b]` its relative primal gradient norm and objective.
    pub(super) fn into_solutions(
        self,
        diag: &[(f64, f64)],
        mut w: impl FnMut(usize) -> Vec<f64>,
    ) -> Vec<DualSolution> {
        let nb = self.nb;
        (0..nb)
            .map(|b| DualSolution {
                w: w(b),
                alpha: (0..self.l).map(|i| self.alpha[(i * nb + b) * 2]).collect(),
                iterations: self.iterations[b],
                converged: !self.active[b],
                relative_grad_norm: diag[b].0,
                objective: diag[b].1,
            })
            .collect()
    }
}
