//! The hypervisor's defmt log ring, read from guest memory on the host.
//!
//! Layout of the ELF symbol `BULKHEAD_LOG_RING` (`#[repr(C)]`, little-endian,
//! linked at a physical address equal to its virtual address):
//! `magic: u64` (b"BKBHDLOG"), `capacity: u64`, `written: u64` (bytes ever
//! written, monotonic), then `data[capacity]`; stream position `p` lives at
//! `data[p % capacity]`. The stream is defmt frames, rzCOBS-encoded and
//! separated by 0x00.

use defmt_decoder::{DecodeError, Table};

pub const SYMBOL: &str = "BULKHEAD_LOG_RING";
pub const MAGIC: u64 = u64::from_le_bytes(*b"BKBHDLOG");
pub const HEADER_LEN: u64 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub capacity: u64,
    pub written: u64,
}

/// Splits a memory dump of the ring into its header and its data bytes.
pub fn parse(dump: &[u8]) -> Result<(Header, &[u8]), String> {
    if dump.len() < HEADER_LEN as usize {
        return Err(format!(
            "log ring dump is {} bytes, shorter than its 24-byte header",
            dump.len()
        ));
    }
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&dump[i * 8..i * 8 + 8]);
        u64::from_le_bytes(b)
    };
    if word(0) != MAGIC {
        return Err(format!(
            "log ring magic is {:#018x}, expected {MAGIC:#018x} (b\"BKBHDLOG\"): \
             the ring was not initialised yet, or the ELF does not match the running image",
            word(0)
        ));
    }
    let header = Header {
        capacity: word(1),
        written: word(2),
    };
    let data = &dump[HEADER_LEN as usize..];
    if header.capacity == 0 || header.capacity > data.len() as u64 {
        return Err(format!(
            "log ring capacity {} does not fit the {} data bytes the symbol covers",
            header.capacity,
            data.len()
        ));
    }
    Ok((header, &data[..header.capacity as usize]))
}

/// The readable tail of the stream, oldest byte first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub bytes: Vec<u8>,
    /// Bytes of the stream no longer in the ring (overwritten, or the cut
    /// partial frame at the wrap point).
    pub lost: u64,
}

/// Rebuilds the stream from the ring: the last `min(written, capacity)` bytes
/// in order. If the ring has wrapped, the oldest frame is partly overwritten,
/// so everything up to and including the first 0x00 delimiter is dropped.
pub fn reconstruct(header: Header, data: &[u8]) -> Stream {
    let cap = header.capacity.min(data.len() as u64);
    if cap == 0 {
        return Stream {
            bytes: Vec::new(),
            lost: header.written,
        };
    }
    let n = header.written.min(cap);
    let start = header.written - n;
    let mut bytes: Vec<u8> = (start..header.written)
        .map(|p| data[(p % cap) as usize])
        .collect();
    let mut lost = start;
    if header.written > cap {
        match bytes.iter().position(|&b| b == 0) {
            Some(z) => {
                bytes.drain(..=z);
                lost += z as u64 + 1;
            }
            None => {
                lost += bytes.len() as u64;
                bytes.clear();
            }
        }
    }
    Stream { bytes, lost }
}

/// Decodes a stream against the ELF's defmt table, one line per frame.
/// A trailing frame without its delimiter (being written when the ring was
/// read) is left out; a malformed frame gives a marker line and decoding
/// goes on with the next.
pub fn decode(elf: &[u8], stream: &[u8]) -> Result<Vec<String>, String> {
    let table = Table::parse(elf)
        .map_err(|e| format!("cannot read the defmt table from the ELF: {e}"))?
        .ok_or("the ELF has no .defmt section: its log cannot be decoded")?;
    let locations = table.get_locations(elf).unwrap_or_default();
    let mut decoder = table.new_stream_decoder();
    decoder.received(stream);
    let mut lines = Vec::new();
    loop {
        match decoder.decode() {
            Ok(frame) => {
                let mut line = frame.display(false).to_string();
                if let Some(loc) = locations.get(&frame.index()) {
                    line.push_str(&format!("  ({}:{})", loc.file.display(), loc.line));
                }
                lines.push(line);
            }
            Err(DecodeError::UnexpectedEof) => break,
            Err(DecodeError::Malformed) => lines.push("<malformed defmt frame skipped>".into()),
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(capacity: u64, written: u64, data: &[u8]) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(b"BKBHDLOG");
        d.extend_from_slice(&capacity.to_le_bytes());
        d.extend_from_slice(&written.to_le_bytes());
        d.extend_from_slice(data);
        d
    }

    /// Writes `stream` into a ring of `cap` bytes the way the hypervisor does.
    fn ring_of(stream: &[u8], cap: usize) -> Vec<u8> {
        let mut data = vec![0xeeu8; cap];
        for (p, &b) in stream.iter().enumerate() {
            data[p % cap] = b;
        }
        dump(cap as u64, stream.len() as u64, &data)
    }

    #[test]
    fn magic_is_the_ascii_tag() {
        assert_eq!(MAGIC, 0x474F_4C44_4842_4B42);
    }

    #[test]
    fn unwrapped_ring_gives_everything_written() {
        let stream = b"ab\0cd\0ef";
        let d = ring_of(stream, 16);
        let (h, data) = parse(&d).unwrap();
        assert_eq!(
            h,
            Header {
                capacity: 16,
                written: 8
            }
        );
        let s = reconstruct(h, data);
        assert_eq!(s.bytes, stream);
        assert_eq!(s.lost, 0);
    }

    #[test]
    fn exactly_full_ring_is_not_cut() {
        let stream = b"abc\0def\0";
        let d = ring_of(stream, 8);
        let (h, data) = parse(&d).unwrap();
        assert_eq!(reconstruct(h, data).bytes, stream);
    }

    #[test]
    fn wrapped_ring_drops_the_torn_frame() {
        // Frames "aaaa","bbbb","cccc","dddd" each with a delimiter: 20 bytes
        // into a 12-byte ring keeps "b\0cccc\0dddd\0" -> drops "b\0".
        let stream = b"aaaa\0bbbb\0cccc\0dddd\0";
        let d = ring_of(stream, 12);
        let (h, data) = parse(&d).unwrap();
        let s = reconstruct(h, data);
        assert_eq!(s.bytes, b"cccc\0dddd\0");
        assert_eq!(s.lost, 10);
        assert_eq!(s.lost + s.bytes.len() as u64, stream.len() as u64);
    }

    #[test]
    fn wrap_landing_on_a_delimiter_keeps_the_next_frame_whole() {
        let stream = b"aaaa\0bbbb\0cccc\0";
        let d = ring_of(stream, 11); // keeps "\0bbbb\0cccc\0"
        let (h, data) = parse(&d).unwrap();
        assert_eq!(reconstruct(h, data).bytes, b"bbbb\0cccc\0");
    }

    #[test]
    fn many_wraps_and_every_capacity_keep_a_suffix_of_whole_frames() {
        let mut stream = Vec::new();
        for i in 0..200u32 {
            stream.extend(std::iter::repeat_n(
                b'a' + (i % 26) as u8,
                1 + (i as usize * 7) % 13,
            ));
            stream.push(0);
        }
        for cap in 1..64usize {
            let d = ring_of(&stream, cap);
            let (h, data) = parse(&d).unwrap();
            let s = reconstruct(h, data);
            assert!(stream.ends_with(&s.bytes), "cap {cap}");
            assert!(s.bytes.len() <= cap);
            // What is kept starts at a frame boundary.
            let at = stream.len() - s.bytes.len();
            assert!(at == 0 || stream[at - 1] == 0, "cap {cap}");
            assert_eq!(s.lost as usize, at);
        }
    }

    #[test]
    fn wrapped_ring_without_a_delimiter_is_empty() {
        let d = ring_of(&[7u8; 40], 16);
        let (h, data) = parse(&d).unwrap();
        let s = reconstruct(h, data);
        assert!(s.bytes.is_empty());
        assert_eq!(s.lost, 40);
    }

    #[test]
    fn bad_dumps_are_explained() {
        assert!(parse(&[0u8; 10]).unwrap_err().contains("shorter"));
        assert!(parse(&[0u8; 64]).unwrap_err().contains("magic"));
        assert!(parse(&dump(100, 0, &[0; 10]))
            .unwrap_err()
            .contains("capacity"));
        assert!(parse(&dump(0, 0, &[0; 10]))
            .unwrap_err()
            .contains("capacity"));
        // A dump longer than the ring (symbol padding) is fine.
        let long = dump(4, 2, &[1, 0, 9, 9, 9, 9]);
        let (h, data) = parse(&long).unwrap();
        assert_eq!(h.capacity, 4);
        assert_eq!(data.len(), 4);
    }

    #[test]
    fn decoding_needs_a_defmt_table() {
        let elf = crate::elf::synth::elf(&[], &[], &[]);
        let err = decode(&elf, b"").unwrap_err();
        assert!(err.contains("defmt"), "{err}");
    }
}
