use super::{LineCutter, Piece};

fn cut(max: usize, chunks: &[&str]) -> Vec<Piece> {
    let mut cutter = LineCutter::new(max);
    let mut pieces = Vec::new();
    for chunk in chunks {
        cutter.feed(chunk.as_bytes(), &mut pieces);
    }
    pieces.extend(cutter.finish());
    pieces
}

fn line(text: &str) -> Piece {
    Piece::Line(text.as_bytes().to_vec())
}

#[test]
fn lines_are_cut_wherever_the_chunks_end() {
    assert_eq!(
        cut(10, &["ab", "c\nde\n", "\nf", "g"]),
        vec![line("abc"), line("de"), line(""), line("fg")]
    );
    assert_eq!(cut(10, &["abc\n"]), vec![line("abc")], "no empty last line");
    assert_eq!(cut(10, &[]), vec![]);
}

#[test]
fn a_line_past_the_bound_is_reported_once_and_the_next_line_is_read() {
    // Too long within one chunk, and across three.
    assert_eq!(cut(4, &["abcdef\nok\n"]), vec![Piece::TooLong, line("ok")]);
    assert_eq!(
        cut(4, &["abc", "def", "ghi\nok"]),
        vec![Piece::TooLong, line("ok")]
    );
    // Exactly at the bound is a line; a too-long last line without a newline is
    // reported and nothing of it comes after.
    assert_eq!(cut(4, &["abcd\n"]), vec![line("abcd")]);
    assert_eq!(cut(4, &["ok\nabcdefgh"]), vec![line("ok"), Piece::TooLong]);
}

#[test]
fn what_the_cutter_holds_never_exceeds_the_bound() {
    let mut cutter = LineCutter::new(8);
    let mut pieces = Vec::new();
    for _ in 0..1000 {
        cutter.feed(b"0123456789", &mut pieces);
        assert!(cutter.line.capacity() <= 16, "{}", cutter.line.capacity());
    }
    assert_eq!(pieces, vec![Piece::TooLong]);
}
