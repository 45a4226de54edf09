//! Handlebars.js's `WhitespaceControl` visitor: `~` strips and "standalone" tags (a block
//! tag, `{{else}}` or a comment alone on its line takes its line with it).

use super::lexer::is_js_space;
use super::parser::{Block, Content, Node, Program};

#[derive(Default)]
struct Candidate {
    open: bool,
    close: bool,
    open_standalone: bool,
    close_standalone: bool,
    inline_standalone: bool,
}

pub(super) fn control(program: &mut Program) {
    control_program(program, true);
}

fn control_program(program: &mut Program, is_root: bool) {
    for index in 0..program.body.len() {
        let strip = match &mut program.body[index] {
            Node::Content(_) => continue,
            Node::Block(block) => control_block(block),
            Node::Mustache { strip, .. } => Candidate {
                open: strip.open,
                close: strip.close,
                ..Candidate::default()
            },
            Node::Comment(strip) | Node::Partial(strip) => Candidate {
                open: strip.open,
                close: strip.close,
                inline_standalone: true,
                ..Candidate::default()
            },
        };
        let body = &mut program.body;
        let prev_whitespace = is_prev_whitespace(body, Some(index), is_root);
        let next_whitespace = is_next_whitespace(body, Some(index), is_root);
        if strip.close {
            omit_right(body, Some(index), true);
        }
        if strip.open {
            omit_left(body, Some(index), true);
        }
        if strip.inline_standalone && prev_whitespace && next_whitespace {
            omit_right(body, Some(index), false);
            omit_left(body, Some(index), false);
        }
        if strip.open_standalone && prev_whitespace {
            if let Node::Block(block) = &mut body[index] {
                if let Some(program) = block.program.as_mut().or(block.inverse.as_mut()) {
                    omit_right(&mut program.body, None, false);
                }
            }
            omit_left(body, Some(index), false);
        }
        if strip.close_standalone && next_whitespace {
            omit_right(body, Some(index), false);
            if let Node::Block(block) = &mut body[index] {
                if let Some(program) = block.inverse.as_mut().or(block.program.as_mut()) {
                    let last = program.body.len();
                    omit_left(&mut program.body, Some(last), false);
                }
            }
        }
    }
}

/// The chained block's program, when `program` is an `{{else if}}` chain.
fn chained_program(program: &mut Program) -> Option<&mut Program> {
    if !program.chained {
        return None;
    }
    match program.body.last_mut() {
        Some(Node::Block(block)) => block.program.as_mut(),
        _ => None,
    }
}

/// The first program of an inverse chain (`{{else if}}`'s program), or the inverse.
fn first_inverse(inverse: &mut Program) -> &mut Program {
    if chained_program(inverse).is_some() {
        return chained_program(inverse).unwrap_or_else(|| unreachable!("checked above"));
    }
    inverse
}

/// Handlebars.js walks `.program` of the chain's last block, not its inverse.
fn last_inverse(inverse: &mut Program) -> &mut Program {
    if chained_program(inverse).is_some() {
        return last_inverse(
            chained_program(inverse).unwrap_or_else(|| unreachable!("checked above")),
        );
    }
    inverse
}

fn control_block(block: &mut Block) -> Candidate {
    if let Some(program) = block.program.as_mut() {
        control_program(program, false);
    }
    if let Some(inverse) = block.inverse.as_mut() {
        control_program(inverse, false);
    }
    let has_program = block.program.is_some();
    let open_standalone = block
        .program
        .as_ref()
        .or(block.inverse.as_ref())
        .is_some_and(|program| is_next_whitespace(&program.body, None, false));
    let close_standalone = match block.inverse.as_mut().filter(|_| has_program) {
        Some(inverse) => is_prev_whitespace(&first_inverse(inverse).body, None, false),
        None => main(block).is_some_and(|program| is_prev_whitespace(&program.body, None, false)),
    };
    let candidate = Candidate {
        open: block.open_strip.open,
        close: block.close_strip.close,
        open_standalone,
        close_standalone,
        inline_standalone: false,
    };
    let main_is_program = has_program;
    if block.open_strip.close {
        if let Some(program) = main(block) {
            omit_right(&mut program.body, None, true);
        }
    }
    if main_is_program && block.inverse.is_some() {
        let inverse_strip = block.inverse_strip.unwrap_or_default();
        if inverse_strip.open {
            if let Some(program) = block.program.as_mut() {
                let last = program.body.len();
                omit_left(&mut program.body, Some(last), true);
            }
        }
        if inverse_strip.close {
            if let Some(inverse) = block.inverse.as_mut() {
                omit_right(&mut first_inverse(inverse).body, None, true);
            }
        }
        if block.close_strip.open {
            if let Some(inverse) = block.inverse.as_mut() {
                let last_inverse = last_inverse(inverse);
                let last = last_inverse.body.len();
                omit_left(&mut last_inverse.body, Some(last), true);
            }
        }
        let program_ends_in_whitespace = block
            .program
            .as_ref()
            .is_some_and(|program| is_prev_whitespace(&program.body, None, false));
        let inverse_starts_with_whitespace = block
            .inverse
            .as_mut()
            .is_some_and(|inverse| is_next_whitespace(&first_inverse(inverse).body, None, false));
        if program_ends_in_whitespace && inverse_starts_with_whitespace {
            if let Some(program) = block.program.as_mut() {
                let last = program.body.len();
                omit_left(&mut program.body, Some(last), false);
            }
            if let Some(inverse) = block.inverse.as_mut() {
                omit_right(&mut first_inverse(inverse).body, None, false);
            }
        }
    } else if block.close_strip.open {
        if let Some(program) = main(block) {
            let last = program.body.len();
            omit_left(&mut program.body, Some(last), true);
        }
    }
    candidate
}

/// `block.program || block.inverse`.
fn main(block: &mut Block) -> Option<&mut Program> {
    block.program.as_mut().or(block.inverse.as_mut())
}

fn content(node: Option<&Node>) -> Option<&Content> {
    match node {
        Some(Node::Content(content)) => Some(content),
        _ => None,
    }
}

/// `isPrevWhitespace(body, i, isRoot)`; `index` `None` looks at the end of the body.
fn is_prev_whitespace(body: &[Node], index: Option<usize>, is_root: bool) -> bool {
    let index = index.unwrap_or(body.len());
    let Some(previous) = index.checked_sub(1).and_then(|at| body.get(at)) else {
        return is_root;
    };
    let Some(previous) = content(Some(previous)) else {
        return false;
    };
    let sibling = index >= 2;
    let text = &previous.original;
    let trimmed = text.trim_end_matches(is_js_space);
    let trailing_has_newline = text[trimmed.len()..].contains('\n');
    if sibling || !is_root {
        trailing_has_newline
    } else {
        trailing_has_newline || trimmed.is_empty()
    }
}

/// `isNextWhitespace(body, i, isRoot)`; `index` `None` looks at the start of the body.
fn is_next_whitespace(body: &[Node], index: Option<usize>, is_root: bool) -> bool {
    let next_at = index.map_or(0, |at| at + 1);
    let Some(next) = body.get(next_at) else {
        return is_root;
    };
    let Some(next) = content(Some(next)) else {
        return false;
    };
    let sibling = body.get(next_at + 1).is_some();
    let text = &next.original;
    let trimmed = text.trim_start_matches(is_js_space);
    let leading_has_newline = text[..text.len() - trimmed.len()].contains('\n');
    if sibling || !is_root {
        leading_has_newline
    } else {
        leading_has_newline || trimmed.is_empty()
    }
}

/// `omitRight(body, i, multiple)`: `index` `None` is the first node.
fn omit_right(body: &mut [Node], index: Option<usize>, multiple: bool) {
    let at = index.map_or(0, |at| at + 1);
    let Some(Node::Content(current)) = body.get_mut(at) else {
        return;
    };
    if !multiple && current.right_stripped {
        return;
    }
    let before = current.value.len();
    let kept = if multiple {
        current.value.trim_start_matches(is_js_space)
    } else {
        let rest = current.value.trim_start_matches([' ', '\t']);
        let rest = rest.strip_prefix('\r').unwrap_or(rest);
        rest.strip_prefix('\n').unwrap_or(rest)
    };
    current.value = kept.to_owned();
    current.right_stripped = current.value.len() != before;
}

/// `omitLeft(body, i, multiple)`: `index` is the node after the one to strip.
fn omit_left(body: &mut [Node], index: Option<usize>, multiple: bool) -> bool {
    let Some(at) = index.unwrap_or(body.len()).checked_sub(1) else {
        return false;
    };
    let Some(Node::Content(current)) = body.get_mut(at) else {
        return false;
    };
    if !multiple && current.left_stripped {
        return false;
    }
    let before = current.value.len();
    let kept = if multiple {
        current.value.trim_end_matches(is_js_space)
    } else {
        current.value.trim_end_matches([' ', '\t'])
    };
    current.value = kept.to_owned();
    current.left_stripped = current.value.len() != before;
    current.left_stripped
}
