//! Text encodings of input files: `--encoding cp1251|utf-8|…` (any WHATWG label, via
//! `encoding_rs`), and a byte-order mark detected whatever was given (a UTF-8 BOM is dropped,
//! a UTF-16 BOM switches to UTF-16).

use std::io::{self, BufRead, BufReader, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_8};

/// Parses an `--encoding` value: a WHATWG label such as `utf-8`, `cp1251` (`windows-1251`),
/// `koi8-r`, `cp866`, `utf-16le`.
pub fn parse_encoding(s: &str) -> std::result::Result<&'static Encoding, String> {
    Encoding::for_label(s.trim().as_bytes()).ok_or_else(|| {
        format!(
            "unknown encoding {s:?}: give a label such as utf-8, cp1251 (windows-1251), koi8-r, \
             cp866 or utf-16le"
        )
    })
}

/// The hint added to an invalid-UTF-8 error.
pub const UTF8_HINT: &str = "the file is not UTF-8: give its encoding, e.g. --encoding cp1251 for \
                             what Russian Excel exports as CSV, or the task-file key `encoding`";

/// `reader` as UTF-8 bytes: a leading BOM decides (UTF-8: dropped; UTF-16LE/BE: decoded),
/// else `encoding` when it is given and not UTF-8, else the bytes pass through unchanged (and
/// are checked as UTF-8 by the reader that parses them). Bytes that are invalid in the
/// encoding are an error naming the byte offset.
pub fn decoded<'a, R: Read + 'a>(
    mut reader: R,
    encoding: Option<&'static Encoding>,
) -> io::Result<Box<dyn BufRead + 'a>> {
    // The first 3 bytes (or fewer at the end), read on while a pipe hands over less.
    let mut head = [0u8; 3];
    let mut got = 0;
    while got < 3 {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let (bom, skip) = match Encoding::for_bom(&head[..got]) {
        Some((enc, len)) => (Some(enc), len),
        None => (None, 0),
    };
    let rest = io::Cursor::new(head[skip..got].to_vec()).chain(reader);
    let enc = bom.or(encoding).unwrap_or(UTF_8);
    if enc == UTF_8 {
        return Ok(Box::new(BufReader::with_capacity(1 << 16, rest)));
    }
    Ok(Box::new(BufReader::with_capacity(
        1 << 16,
        Decoding {
            inner: Box::new(BufReader::with_capacity(1 << 16, rest)),
            decoder: enc.new_decoder_without_bom_handling(),
            encoding: enc,
            out: Vec::new(),
            pos: 0,
            offset: skip as u64,
            done: false,
        },
    )))
}

/// A reader decoding `inner` from `encoding` to UTF-8.
struct Decoding<'a> {
    inner: Box<dyn BufRead + 'a>,
    decoder: Decoder,
    encoding: &'static Encoding,
    out: Vec<u8>,
    pos: usize,
    /// Bytes of `inner` decoded so far.
    offset: u64,
    done: bool,
}

impl Read for Decoding<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.pos);
                buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            let input = self.inner.fill_buf()?;
            let last = input.is_empty();
            let cap = self
                .decoder
                .max_utf8_buffer_length_without_replacement(input.len())
                .unwrap_or(input.len() * 4 + 16)
                .max(16);
            self.out.clear();
            self.out.resize(cap, 0);
            self.pos = 0;
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(input, &mut self.out, last);
            self.out.truncate(written);
            self.inner.consume(read);
            self.offset += read as u64;
            match result {
                DecoderResult::InputEmpty => self.done = last,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, _) => {
                    self.done = true;
                    let at = self.offset.saturating_sub(bad as u64);
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "byte {at} of the file is not valid {} (give the file's encoding \
                             with --encoding)",
                            self.encoding.name()
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8], enc: Option<&str>) -> io::Result<String> {
        let enc = enc.map(|e| parse_encoding(e).unwrap());
        let mut s = String::new();
        decoded(bytes, enc)?.read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn cp1251_boms_and_passthrough() {
        // "Боль" in cp1251.
        let cp = [0xC1, 0xEE, 0xEB, 0xFC, b'\n'];
        assert_eq!(text(&cp, Some("cp1251")).unwrap(), "Боль\n");
        assert_eq!(text(&cp, Some("windows-1251")).unwrap(), "Боль\n");
        // Without an encoding the bytes pass through (and fail UTF-8 checks later).
        let mut raw = Vec::new();
        decoded(&cp[..], None)
            .unwrap()
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw, cp);
        // A UTF-8 BOM is dropped; UTF-16 BOMs are decoded, whatever was given.
        assert_eq!(text("\u{feff}Боль".as_bytes(), None).unwrap(), "Боль");
        assert_eq!(
            text("\u{feff}Боль".as_bytes(), Some("cp1251")).unwrap(),
            "Боль"
        );
        let mut le = vec![0xFF, 0xFE];
        le.extend("Боль".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(text(&le, None).unwrap(), "Боль");
        let mut be = vec![0xFE, 0xFF];
        be.extend("Боль".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(text(&be, Some("utf-8")).unwrap(), "Боль");
        // Long inputs cross buffer boundaries.
        let long: Vec<u8> = cp.iter().copied().cycle().take(5 * 40_000).collect();
        assert_eq!(
            text(&long, Some("cp1251")).unwrap(),
            "Боль\n".repeat(40_000)
        );
        assert_eq!(text(b"", Some("cp1251")).unwrap(), "");
        assert_eq!(text(b"a", None).unwrap(), "a");
    }

    #[test]
    fn bad_bytes_and_labels_are_errors() {
        // A lone surrogate in UTF-16LE after its BOM.
        let e = text(&[0xFF, 0xFE, 0x00, 0xD8, b'a', 0], None).unwrap_err();
        assert!(e.to_string().contains("not valid UTF-16LE"), "{e}");
        let e = parse_encoding("cp9999").unwrap_err();
        assert!(e.contains("cp1251"), "{e}");
    }
}
