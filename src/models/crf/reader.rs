//! A memory-safe reader and tagger for CRFsuite's model format (`crf1dm`).
//!
//! Model files get shared, and CRFsuite's C reader checks nothing it decodes: an offset past
//! the end is read out of bounds, a hash table without an empty bucket loops forever, a huge
//! label count asks for a huge allocation. This reader decodes the file into plain tables,
//! checking every size, offset and index against the file, in time and memory linear in the
//! file's size, and tags with CRFsuite's Viterbi (same arithmetic, same tie-breaking).
//!
//! It does not use the dictionaries' hash tables: names are read through the backward
//! arrays (id -> name) into a `HashMap`. (The `crfs` crate, a pure-Rust port, was tried
//! first: its hash of keys whose byte length is a multiple of 12 differs from CRFsuite's,
//! so 447 of the 6,119 attributes of the RuMedNER model are never found and 73 of 9,856
//! test tokens get other tags.)
//!
//! | part | checked |
//! |---|---|
//! | header | magic `lCRF`, type `FOMC`, size equals the byte count, 1..=[`MAX_LABELS`] labels |
//! | features (`FEAT`) | the table fits; each used feature's target is a label, its weight finite |
//! | label / attribute references | each list fits, all lists together fit once in the file, every feature id exists |
//! | label / attribute dictionaries (CQDB) | magic and byte order; every id below the count has one record that fits, names are UTF-8 and distinct |

use std::collections::HashMap;

use super::error::CrfError;
use crate::features::token::Feature;

/// Largest weight magnitude a model file may hold: a token's score sums a few dozen weighted
/// features and a path's score one per token, so with weights this small no score can reach
/// `f64::MAX` and [`Tables::marginals`] stays finite. CRFsuite's trained weights are of order
/// 1 to 100.
pub(crate) const MAX_WEIGHT: f64 = 1e100;

/// Most labels a model may declare: tagging allocates `labels²` transition scores, and a
/// tagging task has a few dozen labels at most (RuMedNER: 13 with `O`).
pub const MAX_LABELS: u32 = 512;

const HEADER_LEN: usize = 48;
pub(super) const CHUNK_LEN: usize = 12;
pub(super) const FEATURE_LEN: usize = 20;
const CQDB_HEADER: usize = 24;
const CQDB_TABLES: usize = 256;
const CQDB_BYTEORDER: u32 = 0x6244_5371;

type Result<T> = std::result::Result<T, CrfError>;

fn bad<T>(msg: impl Into<String>) -> Result<T> {
    Err(CrfError::InvalidModel(msg.into()))
}

/// A little-endian u32 at `at`, or an error naming `what` when it does not fit.
fn u32_at(bytes: &[u8], at: usize, what: &str) -> Result<u32> {
    match at.checked_add(4).and_then(|end| bytes.get(at..end)) {
        Some(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        None => bad(format!("{what} at byte {at} lies outside the model")),
    }
}

/// Whether `base + count * width` is a valid end offset within `len`.
fn fits(base: usize, count: u32, width: usize, len: usize) -> bool {
    (count as usize)
        .checked_mul(width)
        .and_then(|n| n.checked_add(base))
        .is_some_and(|end| end <= len)
}

/// A decoded model: everything the tagger reads.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    /// Label names by label id.
    pub labels: Vec<String>,
    /// Attribute name -> attribute id.
    attrs: HashMap<String, u32>,
    /// Per attribute: its state features as (target label, weight), in file order.
    state: Vec<Vec<(u32, f64)>>,
    /// Transition scores, `trans[i * L + j]` from label i to label j.
    trans: Vec<f64>,
}

/// The header fields the reader uses.
pub(super) struct Header {
    num_labels: u32,
    num_attrs: u32,
    pub(super) num_features: u32,
    pub(super) off_features: usize,
    off_labels: usize,
    off_attrs: usize,
    off_label_refs: usize,
    off_attr_refs: usize,
}

pub(super) fn header(bytes: &[u8]) -> Result<Header> {
    if bytes.len() <= HEADER_LEN {
        return bad(format!(
            "{} bytes is shorter than a model header",
            bytes.len()
        ));
    }
    if &bytes[0..4] != b"lCRF" {
        return bad("missing the 'lCRF' magic");
    }
    if &bytes[8..12] != b"FOMC" {
        return bad("not a first-order CRF model (type is not 'FOMC')");
    }
    let size = u32_at(bytes, 4, "size")? as usize;
    if size != bytes.len() {
        return bad(format!(
            "header says {size} bytes but there are {} (truncated or padded?)",
            bytes.len()
        ));
    }
    let field = |k: usize| u32_at(bytes, 16 + 4 * k, "header field");
    let off = |k: usize, name: &str| -> Result<usize> {
        let off = field(k)? as usize;
        if off < HEADER_LEN || off >= bytes.len() {
            return bad(format!("offset of {name} ({off}) is outside the model"));
        }
        Ok(off)
    };
    let off_features = off(3, "features")?;
    // CRFsuite leaves the header's feature count 0; the features chunk holds the real one.
    if bytes.get(off_features..off_features + 4) != Some(b"FEAT".as_slice()) {
        return bad("the features chunk does not start with 'FEAT'");
    }
    let h = Header {
        num_labels: field(1)?,
        num_attrs: field(2)?,
        num_features: u32_at(bytes, off_features + 8, "feature count")?,
        off_features,
        off_labels: off(4, "labels")?,
        off_attrs: off(5, "attributes")?,
        off_label_refs: off(6, "label references")?,
        off_attr_refs: off(7, "attribute references")?,
    };
    if h.num_labels == 0 || h.num_labels > MAX_LABELS {
        return bad(format!(
            "{} labels (a model has 1 to {MAX_LABELS})",
            h.num_labels
        ));
    }
    if !fits(
        h.off_features + CHUNK_LEN,
        h.num_features,
        FEATURE_LEN,
        bytes.len(),
    ) {
        return bad(format!(
            "{} features do not fit in the model",
            h.num_features
        ));
    }
    Ok(h)
}

/// Whether a model CRFsuite just wrote has no attribute or no feature left (every weight
/// zero after L1 regularisation): such a file has no usable dictionary.
pub(crate) fn is_empty_model(bytes: &[u8]) -> bool {
    match header(bytes) {
        Ok(h) => h.num_attrs == 0 || h.num_features == 0,
        Err(_) => u32_at(bytes, 24, "attribute count").is_ok_and(|n| n == 0),
    }
}

/// Feature `fid` as (target label, weight), checked.
fn feature(bytes: &[u8], h: &Header, fid: u32) -> Result<(u32, f64)> {
    if fid >= h.num_features {
        return bad(format!(
            "feature id {fid} is not below the feature count {}",
            h.num_features
        ));
    }
    let at = h.off_features + CHUNK_LEN + FEATURE_LEN * fid as usize;
    let target = u32_at(bytes, at + 8, "feature target")?;
    if target >= h.num_labels {
        return bad(format!("feature {fid} targets {target}, not a label"));
    }
    let weight = f64::from_le_bytes(bytes[at + 12..at + 20].try_into().expect("8 bytes"));
    if !weight.is_finite() {
        return bad(format!("feature {fid} has a non-finite weight ({weight})"));
    }
    if weight.abs() > MAX_WEIGHT {
        return bad(format!(
            "feature {fid} has the weight {weight:e}, past the {MAX_WEIGHT:e} that keeps every \
             score and probability finite"
        ));
    }
    Ok((target, weight))
}

/// The `count` feature lists of a reference chunk, each as (target, weight) pairs. `budget`
/// is what all lists of the file may still take (in bytes): lists that overlap could
/// otherwise make decoding quadratic.
fn refs(
    bytes: &[u8],
    h: &Header,
    off: usize,
    count: u32,
    name: &str,
    budget: &mut usize,
) -> Result<Vec<Vec<(u32, f64)>>> {
    if !fits(off + CHUNK_LEN, count, 4, bytes.len()) {
        return bad(format!("{count} {name} do not fit in the model"));
    }
    let mut out = Vec::with_capacity(count as usize);
    for k in 0..count as usize {
        let list = u32_at(bytes, off + CHUNK_LEN + 4 * k, name)? as usize;
        let n = u32_at(bytes, list, name)?;
        if !fits(list + 4, n, 4, bytes.len()) {
            return bad(format!(
                "{name} {k}: {n} feature ids do not fit in the model"
            ));
        }
        let size = 4 + 4 * n as usize;
        if size > *budget {
            return bad(format!("{name} lists add up to more than the model"));
        }
        *budget -= size;
        let fids = (0..n as usize).map(|r| u32_at(bytes, list + 4 + 4 * r, name));
        out.push(
            fids.map(|fid| feature(bytes, h, fid?))
                .collect::<Result<_>>()?,
        );
    }
    Ok(out)
}

/// The names of ids `0..count` of the CQDB dictionary at `off`, read through its backward
/// array (id -> record).
fn names(bytes: &[u8], off: usize, count: u32, name: &str) -> Result<Vec<String>> {
    let chunk = &bytes[off..];
    if chunk.len() < CQDB_HEADER + 8 * CQDB_TABLES || &chunk[0..4] != b"CQDB" {
        return bad(format!("{name} dictionary is not a CQDB chunk"));
    }
    if u32_at(chunk, 12, name)? != CQDB_BYTEORDER {
        return bad(format!("{name} dictionary has the wrong byte order"));
    }
    let bwd_size = u32_at(chunk, 16, name)?;
    let bwd = u32_at(chunk, 20, name)? as usize;
    if bwd_size < count || bwd == 0 || !fits(bwd, count, 4, chunk.len()) {
        return bad(format!("{name} dictionary does not name all {count} ids"));
    }
    let mut out = Vec::with_capacity(count as usize);
    for id in 0..count {
        let rec = u32_at(chunk, bwd + 4 * id as usize, name)? as usize;
        let key = u32_at(chunk, rec.saturating_add(4), name)? as usize;
        if rec == 0
            || u32_at(chunk, rec, name)? != id
            || key == 0
            || !fits(rec + 8, 1, key, chunk.len())
        {
            return bad(format!(
                "{name} dictionary: the record of id {id} is invalid"
            ));
        }
        // `key` counts the C string's final NUL.
        match std::str::from_utf8(&chunk[rec + 8..rec + 7 + key]) {
            Ok(s) => out.push(s.to_string()),
            Err(_) => return bad(format!("{name} dictionary: name {id} is not UTF-8")),
        }
    }
    Ok(out)
}

impl Tables {
    /// Decodes and checks CRFsuite model bytes.
    pub fn read(bytes: &[u8]) -> Result<Tables> {
        if bytes.len() > u32::MAX as usize {
            return bad("model is larger than CRFsuite's 4 GiB format allows");
        }
        let h = header(bytes)?;
        let labels = names(bytes, h.off_labels, h.num_labels, "labels")?;
        let attr_names = names(bytes, h.off_attrs, h.num_attrs, "attributes")?;
        let mut attrs = HashMap::with_capacity(attr_names.len());
        for (id, a) in attr_names.into_iter().enumerate() {
            if attrs.insert(a, id as u32).is_some() {
                return bad(format!("attribute {id} repeats an earlier name"));
            }
        }
        let mut budget = bytes.len();
        let l = h.num_labels as usize;
        let edges = refs(
            bytes,
            &h,
            h.off_label_refs,
            h.num_labels,
            "label references",
            &mut budget,
        )?;
        let mut trans = vec![0f64; l * l];
        for (i, list) in edges.iter().enumerate() {
            for &(j, w) in list {
                trans[i * l + j as usize] = w;
            }
        }
        let state = refs(
            bytes,
            &h,
            h.off_attr_refs,
            h.num_attrs,
            "attribute references",
            &mut budget,
        )?;
        Ok(Tables {
            labels,
            attrs,
            state,
            trans,
        })
    }

    /// CRFsuite's Viterbi path (label ids) for the items' attributes. A name is looked up up
    /// to its first NUL, as CRFsuite receives it as a C string.
    pub fn tag(&self, items: &[Vec<Feature>]) -> Vec<u32> {
        if items.is_empty() {
            return Vec::new();
        }
        self.viterbi(&self.state_scores(items), items.len())
    }

    /// The state features of attribute `name` (looked up to its first NUL, as [`Tables::tag`]
    /// does) as (target label, weight), in file order; `None` for an attribute the model does
    /// not know.
    pub(super) fn attribute(&self, name: &str) -> Option<&[(u32, f64)]> {
        let name = name.split('\0').next().unwrap_or_default();
        self.attrs
            .get(name)
            .map(|&a| self.state[a as usize].as_slice())
    }

    /// The transition score from label `from` to label `to` (both below the label count).
    pub(super) fn transition(&self, from: u32, to: u32) -> f64 {
        self.trans[from as usize * self.labels.len() + to as usize]
    }

    /// State scores, `items x labels`: each attribute's features weighted by its value.
    fn state_scores(&self, items: &[Vec<Feature>]) -> Vec<f64> {
        let l = self.labels.len();
        let mut state = vec![0f64; items.len() * l];
        for (t, item) in items.iter().enumerate() {
            let row = &mut state[t * l..(t + 1) * l];
            for Feature { name, value } in item {
                let name = name.split('\0').next().unwrap_or_default();
                if let Some(&a) = self.attrs.get(name) {
                    for &(j, w) in &self.state[a as usize] {
                        row[j as usize] += w * value;
                    }
                }
            }
        }
        state
    }

    /// Per item, the marginal probability of each label: CRFsuite's forward-backward with a
    /// scale factor per item (crf1dc_alpha_score, crf1dc_beta_score, crf1dc_marginals).
    pub fn marginals(&self, items: &[Vec<Feature>]) -> Vec<Vec<f64>> {
        let m = self.marginals_scaled(items);
        if m.iter().flatten().all(|p| p.is_finite()) {
            return m;
        }
        // Scores past what `exp` can take (|score| > ~709): the same marginals in log space.
        self.marginals_log(items)
    }

    /// Forward-backward in log space: slower than [`Tables::marginals_scaled`], but finite for
    /// any finite scores (weights are bounded by [`MAX_WEIGHT`] on load).
    pub(super) fn marginals_log(&self, items: &[Vec<Feature>]) -> Vec<Vec<f64>> {
        let (l, t_len) = (self.labels.len(), items.len());
        if t_len == 0 {
            return Vec::new();
        }
        let lse = |v: &mut dyn Iterator<Item = f64>| -> f64 {
            let v: Vec<f64> = v.collect();
            let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if !m.is_finite() {
                return m;
            }
            m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
        };
        let state = self.state_scores(items);
        let trans = &self.trans;
        let mut alpha = vec![0f64; t_len * l];
        alpha[..l].copy_from_slice(&state[..l]);
        for t in 1..t_len {
            for j in 0..l {
                let prev = &alpha[(t - 1) * l..t * l];
                let a = lse(&mut (0..l).map(|i| prev[i] + trans[i * l + j]));
                alpha[t * l + j] = a + state[t * l + j];
            }
        }
        let mut beta = vec![0f64; t_len * l];
        for t in (0..t_len - 1).rev() {
            for i in 0..l {
                let b = lse(&mut (0..l)
                    .map(|j| trans[i * l + j] + state[(t + 1) * l + j] + beta[(t + 1) * l + j]));
                beta[t * l + i] = b;
            }
        }
        let log_z = lse(&mut alpha[(t_len - 1) * l..].iter().cloned());
        (0..t_len)
            .map(|t| {
                (0..l)
                    .map(|j| (alpha[t * l + j] + beta[t * l + j] - log_z).exp())
                    .collect()
            })
            .collect()
    }

    /// CRFsuite's scaled forward-backward (crf1dc_alpha_score, crf1dc_beta_score): scores
    /// exponentiated, each position's alphas scaled to sum to 1.
    pub(super) fn marginals_scaled(&self, items: &[Vec<Feature>]) -> Vec<Vec<f64>> {
        let (l, t_len) = (self.labels.len(), items.len());
        if t_len == 0 {
            return Vec::new();
        }
        let state: Vec<f64> = self.state_scores(items).iter().map(|s| s.exp()).collect();
        let trans: Vec<f64> = self.trans.iter().map(|s| s.exp()).collect();
        let mut alpha = vec![0f64; t_len * l];
        let mut scale = vec![0f64; t_len];
        for t in 0..t_len {
            let (done, rest) = alpha.split_at_mut(t * l);
            let cur = &mut rest[..l];
            if t == 0 {
                cur.copy_from_slice(&state[..l]);
            } else {
                let prev = &done[(t - 1) * l..];
                for (i, &p) in prev.iter().enumerate() {
                    for (c, &tr) in cur.iter_mut().zip(&trans[i * l..(i + 1) * l]) {
                        *c += p * tr;
                    }
                }
                for (c, &s) in cur.iter_mut().zip(&state[t * l..(t + 1) * l]) {
                    *c *= s;
                }
            }
            let sum: f64 = cur.iter().sum();
            scale[t] = if sum != 0.0 { 1.0 / sum } else { 1.0 };
            cur.iter_mut().for_each(|c| *c *= scale[t]);
        }
        let mut beta = vec![0f64; t_len * l];
        beta[(t_len - 1) * l..].fill(scale[t_len - 1]);
        for t in (0..t_len - 1).rev() {
            let row: Vec<f64> = (0..l)
                .map(|j| beta[(t + 1) * l + j] * state[(t + 1) * l + j])
                .collect();
            for i in 0..l {
                let dot: f64 = trans[i * l..(i + 1) * l]
                    .iter()
                    .zip(&row)
                    .map(|(a, b)| a * b)
                    .sum();
                beta[t * l + i] = dot * scale[t];
            }
        }
        (0..t_len)
            .map(|t| {
                (0..l)
                    .map(|j| alpha[t * l + j] * beta[t * l + j] / scale[t])
                    .collect()
            })
            .collect()
    }

    /// crf1dc_viterbi: strict `<` keeps the lowest index among equal scores.
    fn viterbi(&self, state: &[f64], t_len: usize) -> Vec<u32> {
        let l = self.labels.len();
        let mut score = state[..l].to_vec();
        let mut back = vec![0u32; t_len * l];
        let mut cur = vec![0f64; l];
        for t in 1..t_len {
            for (j, c) in cur.iter_mut().enumerate() {
                let (mut best, mut arg) = (-f64::MAX, None);
                for (i, &prev) in score.iter().enumerate() {
                    let s = prev + self.trans[i * l + j];
                    if best < s {
                        best = s;
                        arg = Some(i as u32);
                    }
                }
                if let Some(i) = arg {
                    back[t * l + j] = i;
                }
                *c = best + state[t * l + j];
            }
            std::mem::swap(&mut score, &mut cur);
        }
        let mut path = vec![0u32; t_len];
        let mut best = -f64::MAX;
        for (i, &s) in score.iter().enumerate() {
            if best < s {
                best = s;
                path[t_len - 1] = i as u32;
            }
        }
        for t in (0..t_len - 1).rev() {
            path[t] = back[(t + 1) * l + path[t + 1] as usize];
        }
        path
    }
}
