//! PNG charts: plotters' bitmap backend with text drawn by [`Kerned`], then encoded with the
//! chart's DPI in its `pHYs` chunk.
//!
//! plotters (0.3.7) places each glyph of a string at the pen position without its left side
//! bearing, so narrow and wide letters drift apart ("пусты е", "ра зрешены"). [`Kerned`]
//! wraps the bitmap backend and draws text itself with `ab_glyph`: every glyph at the pen
//! position plus its own bearing, advances and kerning from the font, as a text engine does.
//! Everything else is delegated.

use ab_glyph::{point, Font, FontRef, ScaleFont};
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// A drawing backend whose text is laid out glyph by glyph with side bearings and kerning.
pub struct Kerned<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> Kerned<'a> {
    /// Wraps `inner`, drawing text in `font` (a TrueType font).
    pub fn new(inner: BitMapBackend<'a>, font: &'static [u8]) -> Result<Self> {
        let font = FontRef::try_from_slice(font)
            .map_err(|e| anyhow!("the bundled chart font is not a valid TrueType font: {e}"))?;
        Ok(Kerned { inner, font })
    }

    /// The pen positions of `text` at `size` px: each glyph's id and x, and the advance width.
    fn layout(&self, size: f32, text: &str) -> (Vec<(ab_glyph::GlyphId, f32)>, f32) {
        let scaled = self.font.as_scaled(size);
        let mut caret = 0f32;
        let mut prev = None;
        let mut glyphs = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                caret += scaled.kern(p, id);
            }
            glyphs.push((id, caret));
            caret += scaled.h_advance(id);
            prev = Some(id);
        }
        (glyphs, caret)
    }
}

type Error<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Kerned<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Error<'a>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Error<'a>> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error<'a>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Error<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), Error<'a>> {
        let size = style.size() as f32;
        let (_, width) = self.layout(size, text);
        Ok((width.ceil() as u32, (size / 1.24) as u32))
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), Error<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = style.size() as f32;
        let (glyphs, width) = self.layout(size, text);
        // The box plotters lays text out in: the advance width, and the font size / 1.24 high.
        let (width, height) = (width.round() as i32, (size / 1.24) as i32);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let trans = style.transform();
        let (w, h) = self.get_size();
        // The baseline sits where plotters puts it: half the font size below the box's top.
        let baseline = size / 2.0;
        let mut pixels = Vec::new();
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(size, point(x, baseline));
            if let Some(outline) = self.font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, cover| {
                    pixels.push((
                        b.min.x as i32 + gx as i32,
                        b.min.y as i32 + gy as i32,
                        cover,
                    ))
                });
            }
        }
        for (x, y, cover) in pixels {
            let (x, y) = trans.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 && cover > 0.0 {
                let c = BackendColor {
                    alpha: color.alpha * f64::from(cover.min(1.0)),
                    rgb: color.rgb,
                };
                self.inner.draw_pixel((x, y), c)?;
            }
        }
        Ok(())
    }
}

/// Encodes an RGB buffer of `size` as a PNG whose `pHYs` chunk says `dpi`.
pub fn encode(rgb: &[u8], (w, h): (u32, u32), dpi: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Pixels per metre, rounded as image editors do (96 dpi: 3780).
        let ppm = (f64::from(dpi) / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut writer = enc
            .write_header()
            .map_err(|e| anyhow!("cannot encode the PNG: {e}"))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| anyhow!("cannot encode the PNG: {e}"))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-LatinCyrillic.ttf");

    /// The columns of a `w`-wide RGB image that hold ink (any non-white pixel).
    fn inked(rgb: &[u8], w: usize) -> Vec<bool> {
        let mut cols = vec![false; w];
        for (i, px) in rgb.chunks(3).enumerate() {
            if px.iter().any(|&c| c < 200) {
                cols[i % w] = true;
            }
        }
        cols
    }

    /// The widest run of blank columns between the first and last inked ones.
    fn widest_gap(cols: &[bool]) -> usize {
        let first = cols.iter().position(|&c| c).unwrap();
        let last = cols.iter().rposition(|&c| c).unwrap();
        let (mut best, mut run) = (0, 0);
        for &c in &cols[first..=last] {
            run = if c { 0 } else { run + 1 };
            best = best.max(run);
        }
        best
    }

    /// The gap the font itself leaves between the ink of `a` and of `b` set side by side.
    fn font_gap(a: char, b: char, size: f32) -> f32 {
        let font = FontRef::try_from_slice(FONT).unwrap();
        let scaled = font.as_scaled(size);
        let (ia, ib) = (scaled.glyph_id(a), scaled.glyph_id(b));
        let xb = scaled.h_advance(ia) + scaled.kern(ia, ib);
        let ra = font
            .outline_glyph(ia.with_scale_and_position(size, point(0.0, 0.0)))
            .unwrap()
            .px_bounds();
        let rb = font
            .outline_glyph(ib.with_scale_and_position(size, point(xb, 0.0)))
            .unwrap()
            .px_bounds();
        rb.min.x - ra.max.x
    }

    fn render(text: &str, kerned: bool) -> Vec<bool> {
        let (w, h) = (200u32, 60u32);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .ok()
            .unwrap();
        let style = ("sans-serif", 40).into_font();
        {
            let bitmap = BitMapBackend::with_buffer(&mut rgb, (w, h));
            if kerned {
                let root = Kerned::new(bitmap, FONT).unwrap().into_drawing_area();
                root.draw_text(text, &style.clone().into_text_style(&root), (10, 10))
                    .unwrap();
                root.present().unwrap();
            } else {
                let root = bitmap.into_drawing_area();
                root.draw_text(text, &style.into_text_style(&root), (10, 10))
                    .unwrap();
                root.present().unwrap();
            }
        }
        inked(&rgb, w as usize)
    }

    #[test]
    fn cyrillic_letters_keep_the_fonts_spacing() {
        // "пусты е": plotters alone draws the gap after ы several pixels too wide; the wrapper
        // keeps the font's own gap (to a pixel of rounding and anti-aliasing).
        let want = font_gap('ы', 'е', 40.0);
        let ours = widest_gap(&render("ые", true)) as f32;
        assert!(
            (ours - want).abs() <= 1.5,
            "gap {ours} px, the font's {want} px"
        );
        let theirs = widest_gap(&render("ые", false)) as f32;
        assert!(
            theirs - want > 2.0,
            "plotters' own text drawing spaces ы and е {theirs} px apart (the font: {want})"
        );
        // Every letter pair of a word keeps its spacing: no gap wider than the font's widest.
        for word in ["разрешены", "пустые", "строки"] {
            let chars: Vec<char> = word.chars().collect();
            let want = chars
                .windows(2)
                .map(|p| font_gap(p[0], p[1], 40.0))
                .fold(0f32, f32::max);
            let gap = widest_gap(&render(word, true)) as f32;
            assert!(
                gap <= want + 1.5,
                "{word}: a {gap} px gap, the font's widest {want}"
            );
        }
    }

    #[test]
    fn png_records_its_dpi() {
        let png = encode(&[255; 2 * 2 * 3], (2, 2), 300).unwrap();
        let at = png.windows(4).position(|w| w == b"pHYs").unwrap();
        let ppm = u32::from_be_bytes(png[at + 4..at + 8].try_into().unwrap());
        assert_eq!(ppm, 11811, "300 dpi = 11811 pixels per metre");
        assert_eq!(png[at + 12], 1, "the unit is the metre");
    }
}
