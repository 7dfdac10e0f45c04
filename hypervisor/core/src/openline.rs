//! The focused partition's unfinished console line, kept so that the
//! console can show it again after another line has cut it
//! (`hypervisor/bulkhead/src/console.rs`).

/// The focused partition's unfinished line, as far as it was shown: its
/// prefix is on the console and no newline has followed yet.
pub struct OpenLine {
    /// Whether a line is open.
    pub open: bool,
    name: [u8; NAME_MAX],
    name_len: usize,
    bytes: [u8; OPEN_MAX],
    len: usize,
    /// More bytes than `OPEN_MAX` were written: the line is not repeated.
    pub overflow: bool,
    escape: Escape,
}

/// Where [`OpenLine::push`] is in an escape sequence.
#[derive(Clone, Copy)]
enum Escape {
    None,
    /// After ESC.
    Started,
    /// In a control sequence (`ESC [`), until its final byte.
    Csi,
}

/// Bytes of an unfinished line kept for showing it again.
const OPEN_MAX: usize = 256;
/// Bytes of a partition name kept (names are at most 32 bytes).
const NAME_MAX: usize = 32;

impl OpenLine {
    pub const fn new() -> Self {
        Self {
            open: false,
            name: [0; NAME_MAX],
            name_len: 0,
            bytes: [0; OPEN_MAX],
            len: 0,
            overflow: false,
            escape: Escape::None,
        }
    }

    pub fn start(&mut self, name: &str) {
        let mut n = name.len().min(NAME_MAX);
        while !name.is_char_boundary(n) {
            n -= 1;
        }
        self.name[..n].copy_from_slice(&name.as_bytes()[..n]);
        self.name_len = n;
        self.len = 0;
        self.overflow = false;
        self.escape = Escape::None;
        self.open = true;
    }

    /// Keeps `byte` for showing the line again. Escape sequences are not
    /// kept: a repeated cursor-position query (`ESC [ 6 n`, which busybox
    /// sends with its prompt) would make the terminal answer again, into
    /// the partition's input.
    pub fn push(&mut self, byte: u8) {
        match (self.escape, byte) {
            (Escape::None, 0x1b) => {
                self.escape = Escape::Started;
                return;
            }
            (Escape::None, _) => {}
            (Escape::Started, b'[') => {
                self.escape = Escape::Csi;
                return;
            }
            (Escape::Started, _) => {
                self.escape = Escape::None;
                return;
            }
            (Escape::Csi, 0x20..=0x3f) => return,
            (Escape::Csi, _) => {
                self.escape = Escape::None;
                return;
            }
        }
        match self.bytes.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    pub fn close(&mut self) {
        self.open = false;
        self.len = 0;
        self.overflow = false;
        self.escape = Escape::None;
    }

    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len]).unwrap_or("?")
    }

    pub fn is(&self, name: &str) -> bool {
        self.open && self.name() == name
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Default for OpenLine {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, bytes: &[u8]) -> OpenLine {
        let mut l = OpenLine::new();
        l.start(name);
        for &b in bytes {
            l.push(b);
        }
        l
    }

    #[test]
    fn keeps_the_text_and_the_name() {
        let l = line("linux0", b"~ # echo hal\x08lf-");
        assert!(l.open);
        assert!(l.is("linux0"));
        assert!(!l.is("linux1"));
        assert_eq!(l.name(), "linux0");
        assert_eq!(l.bytes(), b"~ # echo hal\x08lf-");
    }

    #[test]
    fn leaves_escape_sequences_out() {
        // busybox's prompt asks for the cursor position; a two-byte escape
        // and a CSI with parameters are dropped too.
        let l = line("l", b"\x1b[6n~ # \x1b7a\x1b[1;32mb");
        assert_eq!(l.bytes(), b"~ # ab");
    }

    #[test]
    fn an_overlong_line_is_marked_and_kept_to_its_limit() {
        let long = [b'x'; OPEN_MAX + 5];
        let l = line("l", &long);
        assert!(l.overflow);
        assert_eq!(l.bytes().len(), OPEN_MAX);
    }

    #[test]
    fn close_forgets_everything_and_start_begins_afresh() {
        let mut l = line("first", b"abc\x1b[");
        l.close();
        assert!(!l.open);
        assert!(!l.is("first"));
        assert!(l.bytes().is_empty());
        // The escape left half-done before the close does not eat the
        // next line's first byte.
        l.start("second");
        l.push(b'z');
        assert_eq!(l.bytes(), b"z");
        assert!(l.is("second"));
    }

    #[test]
    fn a_long_name_is_cut_at_a_character_boundary() {
        let name = "é".repeat(20); // 40 bytes
        let l = line(&name, b"");
        assert!(l.name().len() <= NAME_MAX);
        assert!(name.starts_with(l.name()));
    }
}
