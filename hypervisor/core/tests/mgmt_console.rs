//! The console multiplexer's escape sequences and command mode.

use bulkhead_core::mgmt::{ConsoleMux, MuxAction, CTRL_A};

fn feed(m: &mut ConsoleMux, bytes: &[u8]) -> Vec<MuxAction> {
    bytes.iter().map(|&b| m.feed(b)).collect()
}

fn echoed(actions: &[MuxAction]) -> Vec<u8> {
    actions
        .iter()
        .flat_map(|a| match a {
            MuxAction::Echo(e) => e.as_bytes().to_vec(),
            _ => vec![],
        })
        .collect()
}

#[test]
fn input_goes_to_the_focused_partition() {
    let mut m = ConsoleMux::new(3);
    assert_eq!(
        feed(&mut m, b"ls\r"),
        [
            MuxAction::ToPartition(0, b'l'),
            MuxAction::ToPartition(0, b's'),
            MuxAction::ToPartition(0, b'\r')
        ]
    );
    assert_eq!(
        feed(&mut m, &[CTRL_A, b'2']),
        [MuxAction::Nothing, MuxAction::Switch(2)]
    );
    assert_eq!(m.focus(), 2);
    assert_eq!(m.feed(0x03), MuxAction::ToPartition(2, 0x03));
}

#[test]
fn ctrl_a_twice_sends_one_ctrl_a() {
    let mut m = ConsoleMux::new(2);
    assert_eq!(
        feed(&mut m, &[CTRL_A, CTRL_A, b'x']),
        [
            MuxAction::Nothing,
            MuxAction::ToPartition(0, CTRL_A),
            MuxAction::ToPartition(0, b'x')
        ]
    );
}

#[test]
fn switching_to_a_missing_partition_rings_the_bell() {
    let mut m = ConsoleMux::new(2);
    let a = feed(&mut m, &[CTRL_A, b'7']);
    assert_eq!(echoed(&a), b"\x07");
    assert_eq!(m.focus(), 0);
    // Unknown escapes are dropped, and the next byte is ordinary again.
    assert_eq!(
        feed(&mut m, &[CTRL_A, b'z', b'q']),
        [
            MuxAction::Nothing,
            MuxAction::Nothing,
            MuxAction::ToPartition(0, b'q')
        ]
    );
}

#[test]
fn command_mode_edits_and_submits_lines() {
    let mut m = ConsoleMux::new(2);
    let a = feed(&mut m, &[CTRL_A, b'c']);
    assert!(m.in_command_mode());
    assert_eq!(echoed(&a), b"\r\nbulkhead> ");
    let a = feed(&mut m, b"lisx\x7ft");
    assert_eq!(echoed(&a), b"lisx\x08 \x08t");
    assert_eq!(m.feed(b'\r'), MuxAction::Command("list".into()));
    // CR LF is one Enter.
    assert_eq!(m.feed(b'\n'), MuxAction::Nothing);
    // Still in command mode; an empty line gives a new prompt.
    assert!(m.in_command_mode());
    assert_eq!(echoed(&[m.feed(b'\n')]), b"\r\nbulkhead> ");
    let a = feed(&mut m, b"help\n");
    assert_eq!(a.last(), Some(&MuxAction::Command("help".into())));
    // Backspace on an empty line, control characters.
    assert_eq!(echoed(&[m.feed(0x08)]), b"\x07");
    assert_eq!(m.feed(0x1b), MuxAction::Nothing);
    // Ctrl-A leaves, dropping the half-typed line.
    feed(&mut m, b"sto");
    assert_eq!(echoed(&[m.feed(CTRL_A)]), b"\r\n");
    assert!(!m.in_command_mode());
    assert_eq!(m.feed(b'p'), MuxAction::ToPartition(0, b'p'));
    feed(&mut m, &[CTRL_A, b'c']);
    assert_eq!(
        feed(&mut m, b"x\r").last(),
        Some(&MuxAction::Command("x".into()))
    );
}

#[test]
fn a_line_cannot_grow_past_the_limit() {
    let mut m = ConsoleMux::new(1);
    feed(&mut m, &[CTRL_A, b'c']);
    let a = feed(&mut m, &[b'a'; 200]);
    let bells = a
        .iter()
        .filter(|x| matches!(x, MuxAction::Echo(e) if e.as_bytes() == b"\x07"))
        .count();
    assert_eq!(bells, 200 - bulkhead_core::mgmt::LINE_MAX);
    match m.feed(b'\r') {
        MuxAction::Command(l) => assert_eq!(l.len(), bulkhead_core::mgmt::LINE_MAX),
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_partitions_no_delivery() {
    let mut m = ConsoleMux::new(0);
    assert_eq!(m.feed(b'a'), MuxAction::Nothing);
    let a = feed(&mut m, &[CTRL_A, b'0', CTRL_A, CTRL_A]);
    assert_eq!(echoed(&a), b"\x07");
    assert_eq!(a[3], MuxAction::Nothing);
}
