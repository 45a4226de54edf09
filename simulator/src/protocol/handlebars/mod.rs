//! Handlebars.js 4.7, as Cal.com's `payloadTemplate` runs it: `compile(template)(data)`
//! with the built-in helpers only (`if`, `unless`, `each`, `with`, `lookup`, `log`).
//!
//! Written from Handlebars.js's lexer, grammar, compiler and runtime rules, because every
//! one of them shows on the wire: what fails to parse (nothing is then sent), `\{{`
//! escapes, standalone tags that take their line, JavaScript truthiness (`{}` is truthy,
//! `[]` is not), value text (`[object Object]`, `1,2`, `1e+21`), own-property lookups
//! (`length` of arrays and strings), `Object.keys` order in `#each`, `../` depths and
//! `@index`/`@key`/`@first`/`@last`/`@root` data. Differential tests run it against the
//! npm package on random templates (`tests/oracle_templates.rs`).
//!
//! ```
//! use calsim::js_value::JsValue;
//! use calsim::protocol::handlebars::compile;
//!
//! let data = JsValue::parse(r#"{"title":"O'Brien","attendees":[{"name":"Zoë"},{}],"n":1e21}"#).unwrap();
//! let template = compile("{{title}}|{{#each attendees}}{{@index}}:{{name}}{{#unless @last}},{{/unless}}{{/each}}|{{n}}|{{lookup attendees 1}}").unwrap();
//! assert_eq!(template.render(&data).unwrap(), "O&#x27;Brien|0:Zoë,1:|1e+21|[object Object]");
//! assert!(compile(r#"{"a":{{lookup attendees 0}}}"#).is_err()); // `}}}` closes `{{`
//! ```

mod lexer;
mod parser;
mod whitespace;

use std::borrow::Cow;

use parser::{Call, Expr, Node, Path, Program};

use crate::protocol::js_value::number_text as js_number;
use crate::protocol::js_value::JsValue;

/// Handlebars.js's `compile` would throw: the template does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

/// The compiled template would throw while rendering (a missing helper, a helper called
/// with the wrong number of arguments, a partial).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    program: Program,
}

/// Parses a template as Handlebars.js's `compile` does.
pub fn compile(template: &str) -> Result<Template, CompileError> {
    let tokens = lexer::tokenize(template)?;
    let mut program = parser::parse(tokens)?;
    whitespace::control(&mut program);
    Ok(Template { program })
}

impl Template {
    /// Renders against `context` as the compiled template function does.
    pub fn render(&self, context: &JsValue) -> Result<String, RenderError> {
        let root = Val::of(context);
        let data = Frame {
            root: root.clone(),
            ..Frame::default()
        };
        let depths = Depths {
            value: root.clone(),
            parent: None,
        };
        let scope = Scope {
            context: root,
            depths: &depths,
            data: &data,
            block_params: None,
        };
        Ok(render_program(&self.program, &scope)?
            .js_string()
            .into_owned())
    }
}

/// A JavaScript value as the template sees it.
#[derive(Clone, Debug, Default)]
enum Val<'a> {
    #[default]
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(Cow<'a, str>),
    Array(&'a [JsValue]),
    Object(&'a [(String, JsValue)]),
}

impl<'a> Val<'a> {
    fn of(value: &'a JsValue) -> Val<'a> {
        match value {
            JsValue::Null => Val::Null,
            JsValue::Bool(flag) => Val::Bool(*flag),
            JsValue::Number(number) => Val::Number(*number),
            JsValue::String(text) => Val::Str(Cow::Borrowed(text)),
            JsValue::Array(items) => Val::Array(items),
            JsValue::Object(fields) => Val::Object(fields),
        }
    }

    fn is_nullish(&self) -> bool {
        matches!(self, Val::Undefined | Val::Null)
    }

    /// JavaScript's `!!value`.
    fn truthy(&self) -> bool {
        match self {
            Val::Undefined | Val::Null => false,
            Val::Bool(flag) => *flag,
            Val::Number(number) => *number != 0.0 && !number.is_nan(),
            Val::Str(text) => !text.is_empty(),
            Val::Array(_) | Val::Object(_) => true,
        }
    }

    /// Handlebars's `isEmpty`: falsy but not `0`, or an empty array.
    fn is_empty(&self) -> bool {
        match self {
            Val::Number(number) => number.is_nan(),
            Val::Array(items) => items.is_empty(),
            other => !other.truthy(),
        }
    }

    /// `String(value)`.
    fn js_string(&self) -> Cow<'a, str> {
        match self {
            Val::Undefined => "undefined".into(),
            Val::Null => "null".into(),
            Val::Bool(flag) => flag.to_string().into(),
            Val::Number(number) => js_number(*number).into(),
            Val::Str(text) => text.clone(),
            Val::Array(items) => array_text(items).into(),
            Val::Object(_) => "[object Object]".into(),
        }
    }

    /// `lookupProperty(this, name)`: own properties only.
    fn property(&self, name: &str) -> Val<'a> {
        match self {
            Val::Object(fields) => fields
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map_or(Val::Undefined, |(_, value)| Val::of(value)),
            Val::Array(items) => {
                if name == "length" {
                    return Val::Number(items.len() as f64);
                }
                array_index(name)
                    .and_then(|index| items.get(index))
                    .map_or(Val::Undefined, Val::of)
            }
            Val::Str(text) => {
                let units: Vec<u16> = text.encode_utf16().collect();
                if name == "length" {
                    return Val::Number(units.len() as f64);
                }
                array_index(name)
                    .and_then(|index| units.get(index))
                    .map_or(Val::Undefined, |unit| {
                        Val::Str(String::from_utf16_lossy(&[*unit]).into())
                    })
            }
            _ => Val::Undefined,
        }
    }

    /// JavaScript's loose `==`, used as `context != depths[0]` to decide whether a
    /// program pushes a new depth (objects by identity; `nullContext` standing in for a
    /// `null` depth; an object equals a string of its text).
    fn same_as(&self, other: &Val<'_>) -> bool {
        match (self, other) {
            (Val::Object(a), Val::Null) => std::ptr::eq(*a, &NULL_CONTEXT[..]),
            (Val::Undefined | Val::Null, Val::Undefined | Val::Null) => true,
            (Val::Undefined | Val::Null, _) | (_, Val::Undefined | Val::Null) => false,
            (Val::Array(a), Val::Array(b)) => std::ptr::eq(*a, *b),
            (Val::Object(a), Val::Object(b)) => std::ptr::eq(*a, *b),
            (Val::Array(_), Val::Object(_)) | (Val::Object(_), Val::Array(_)) => false,
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Number(a), Val::Number(b)) => a == b,
            (Val::Bool(flag), other) | (other, Val::Bool(flag)) => {
                Val::Number(f64::from(u8::from(*flag))).same_as(other)
            }
            (Val::Number(a), Val::Str(b)) | (Val::Str(b), Val::Number(a)) => {
                string_to_number(b) == *a
            }
            (object @ (Val::Array(_) | Val::Object(_)), primitive)
            | (primitive, object @ (Val::Array(_) | Val::Object(_))) => {
                Val::Str(object.js_string()).same_as(primitive)
            }
        }
    }
}

/// `container.nullContext`: the `this` of a helper called where the context is `null`.
static NULL_CONTEXT: [(String, JsValue); 0] = [];

/// JavaScript's `Array.prototype.toString` (`null` and `undefined` print nothing).
fn array_text(items: &[JsValue]) -> String {
    let mut text = String::new();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        if !matches!(item, JsValue::Null) {
            text.push_str(&Val::of(item).js_string());
        }
    }
    text
}

/// A canonical array index (`0`, `17`; not `01`, `-1`, `1.0`).
fn array_index(name: &str) -> Option<usize> {
    let canonical = name == "0" || (!name.starts_with('0') && !name.is_empty());
    (canonical && name.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| name.parse().ok())
        .flatten()
}

/// `Number(text)` for the loose comparison (enough for depth tracking).
fn string_to_number(text: &str) -> f64 {
    let trimmed = text.trim_matches(lexer::is_js_space);
    if trimmed.is_empty() {
        return 0.0;
    }
    trimmed.parse().unwrap_or(f64::NAN)
}

/// Handlebars's `escapeExpression`.
fn escape_expression(value: &Val<'_>) -> String {
    let text = match value {
        Val::Undefined | Val::Null => return String::new(),
        other => other.js_string(),
    };
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            other => out.push(other),
        }
    }
    out
}

/// JavaScript's `a + b` for two appended values: numbers and booleans add, anything
/// else concatenates as text. The compiled template joins its appends with `+`, so
/// `{{{n}}}{{{n}}}` with `n` = 1 renders `2`.
fn js_plus<'a>(left: Val<'a>, right: Val<'a>) -> Val<'a> {
    let numeric = |value: &Val<'_>| match value {
        Val::Number(number) => Some(*number),
        Val::Bool(flag) => Some(f64::from(u8::from(*flag))),
        _ => None,
    };
    if let (Some(a), Some(b)) = (numeric(&left), numeric(&right)) {
        return Val::Number(a + b);
    }
    let mut text = left.js_string().into_owned();
    text.push_str(&right.js_string());
    Val::Str(Cow::Owned(text))
}

/// A program's output as the compiled function builds it.
#[derive(Default)]
struct Output<'a> {
    value: Option<Val<'a>>,
}

impl<'a> Output<'a> {
    fn starting_with_text() -> Self {
        Output {
            value: Some(Val::Str(Cow::Borrowed(""))),
        }
    }

    /// Appends a raw value (`null` and `undefined` append `""`).
    fn append(&mut self, value: Val<'a>) {
        let value = if value.is_nullish() {
            Val::Str(Cow::Borrowed(""))
        } else {
            value
        };
        self.value = Some(match self.value.take() {
            None => value,
            Some(Val::Str(Cow::Owned(mut text))) => {
                text.push_str(&value.js_string());
                Val::Str(Cow::Owned(text))
            }
            Some(left) => js_plus(left, value),
        });
    }

    fn finish(self) -> Val<'a> {
        self.value.unwrap_or(Val::Str(Cow::Borrowed("")))
    }
}

/// The `@data` frame (`createFrame` copies its parent's variables).
#[derive(Clone, Debug, Default)]
struct Frame<'a, 'p> {
    root: Val<'a>,
    key: Option<Val<'a>>,
    index: Option<Val<'a>>,
    first: Option<Val<'a>>,
    last: Option<Val<'a>>,
    parent: Option<&'p Frame<'a, 'p>>,
}

impl<'a> Frame<'a, '_> {
    fn variable(&self, name: &str) -> Val<'a> {
        let slot = match name {
            "root" => return self.root.clone(),
            "key" => &self.key,
            "index" => &self.index,
            "first" => &self.first,
            "last" => &self.last,
            _ => &None,
        };
        slot.clone().unwrap_or_default()
    }
}

/// The contexts `../` climbs: a new one is pushed only when a program runs with a
/// context other than the current one.
struct Depths<'a, 'p> {
    value: Val<'a>,
    parent: Option<&'p Depths<'a, 'p>>,
}

struct BlockParams<'a, 'p> {
    names: &'p [String],
    values: Vec<Val<'a>>,
    parent: Option<&'p BlockParams<'a, 'p>>,
}

struct Scope<'a, 'p> {
    context: Val<'a>,
    depths: &'p Depths<'a, 'p>,
    data: &'p Frame<'a, 'p>,
    block_params: Option<&'p BlockParams<'a, 'p>>,
}

impl<'a> Scope<'a, '_> {
    fn block_param(&self, name: &str) -> Option<Val<'a>> {
        let mut frame = self.block_params;
        while let Some(params) = frame {
            if let Some(at) = params.names.iter().position(|declared| declared == name) {
                return Some(params.values.get(at).cloned().unwrap_or_default());
            }
            frame = params.parent;
        }
        None
    }

    fn depth(&self, depth: usize) -> Val<'a> {
        if depth == 0 {
            return self.context.clone();
        }
        let mut current = Some(self.depths);
        for _ in 0..depth {
            current = current.and_then(|depths| depths.parent);
        }
        current.map_or(Val::Undefined, |depths| depths.value.clone())
    }
}

/// How a helper's block is run: `options.fn` / `options.inverse` with a context, a data
/// frame and block params.
struct Invocation<'t, 'a, 'p> {
    program: Option<&'t Program>,
    inverse: Option<&'t Program>,
    scope: &'p Scope<'a, 'p>,
    /// A mustache's helper gets no `options.fn`/`options.inverse`: calling one throws.
    is_block: bool,
    /// The helper's `this`: helpers get `container.nullContext` (`{}`) for a null context.
    this: Val<'a>,
}

impl<'t, 'a, 'p> Invocation<'t, 'a, 'p> {
    fn run(
        &self,
        program: Option<&'t Program>,
        context: Val<'a>,
        data: &Frame<'a, '_>,
        params: Vec<Val<'a>>,
    ) -> Result<Val<'a>, RenderError> {
        let Some(program) = program else {
            return if self.is_block {
                Ok(Val::Str(Cow::Borrowed("")))
            } else {
                Err(RenderError(
                    "options.fn is not a function (a block helper used as {{helper}})".into(),
                ))
            };
        };
        let pushed;
        let depths = if context.same_as(&self.scope.depths.value) {
            self.scope.depths
        } else {
            pushed = Depths {
                value: context.clone(),
                parent: Some(self.scope.depths),
            };
            &pushed
        };
        let declared;
        let block_params = if program.block_params.is_empty() {
            self.scope.block_params
        } else {
            declared = BlockParams {
                names: &program.block_params,
                values: params,
                parent: self.scope.block_params,
            };
            Some(&declared)
        };
        let scope = Scope {
            context,
            depths,
            data,
            block_params,
        };
        render_program(program, &scope)
    }

    fn fn_this(&self) -> Result<Val<'a>, RenderError> {
        self.run(self.program, self.this.clone(), self.scope.data, Vec::new())
    }

    fn inverse_this(&self) -> Result<Val<'a>, RenderError> {
        self.run(self.inverse, self.this.clone(), self.scope.data, Vec::new())
    }
}

fn render_program<'a>(program: &Program, scope: &Scope<'a, '_>) -> Result<Val<'a>, RenderError> {
    let mut output = if starts_with_statement(program, scope) {
        Output::starting_with_text()
    } else {
        Output::default()
    };
    for node in &program.body {
        match node {
            Node::Content(content) if content.value.is_empty() => {}
            Node::Content(content) => output.append(Val::Str(Cow::Owned(content.value.clone()))),
            Node::Comment(_) => {}
            Node::Partial(_) => {
                return Err(RenderError(
                    "The partial could not be found (Cal.com registers no partials)".into(),
                ))
            }
            Node::Mustache { call, escaped, .. } => {
                let value = evaluate(call, scope, Site::Mustache)?;
                if *escaped {
                    output.append(Val::Str(Cow::Owned(escape_expression(&value))));
                } else {
                    output.append(value);
                }
            }
            Node::Block(block) if block.partial_block => {
                if let Some(program) = &block.program {
                    output.append(render_program(program, scope)?);
                }
            }
            Node::Block(block) => {
                let site = Site::Block {
                    program: block.program.as_ref(),
                    inverse: block.inverse.as_ref(),
                };
                output.append(evaluate(&block.call, scope, site)?);
            }
        }
    }
    Ok(output.finish())
}

/// Whether the compiled function starts with a statement rather than an append: an
/// ambiguous block (`{{#name}}`, no helper of that name) first makes it start from a
/// `""` buffer, so later values concatenate instead of adding up.
fn starts_with_statement(program: &Program, scope: &Scope<'_, '_>) -> bool {
    let first = program.body.iter().find(|node| match node {
        Node::Content(content) => !content.value.is_empty(),
        Node::Comment(_) => false,
        _ => true,
    });
    let Some(Node::Block(block)) = first else {
        return false;
    };
    if block.partial_block || !block.call.params.is_empty() || !block.call.hash.is_empty() {
        return false;
    }
    let path = head_path(&block.call.head);
    path.is_simple()
        && !KNOWN_HELPERS.contains(&path.parts[0].as_str())
        && scope.block_param(&path.parts[0]).is_none()
}

const KNOWN_HELPERS: [&str; 8] = [
    "helperMissing",
    "blockHelperMissing",
    "each",
    "if",
    "unless",
    "with",
    "log",
    "lookup",
];

/// The head of a call as a path (`transformLiteralToPath`).
fn head_path(head: &Expr) -> Cow<'_, Path> {
    match head {
        Expr::Path(path) => Cow::Borrowed(path),
        literal => {
            let text = match literal {
                Expr::String(text) => text.clone(),
                Expr::Number(number) => js_number(*number),
                Expr::Boolean(flag) => flag.to_string(),
                Expr::Undefined => "undefined".to_owned(),
                Expr::Null => "null".to_owned(),
                Expr::Path(_) | Expr::Sub(_) => String::new(),
            };
            Cow::Owned(Path {
                data: false,
                depth: 0,
                parts: vec![text.clone()],
                original: text,
                scoped: false,
            })
        }
    }
}

/// Where a call stands: a mustache `{{...}}`, a sub-expression `(...)` or a block.
enum Site<'t> {
    Mustache,
    Sub,
    Block {
        program: Option<&'t Program>,
        inverse: Option<&'t Program>,
    },
}

/// A mustache, block or sub-expression: `classifySexpr`, then the matching invocation.
fn evaluate<'a>(
    call: &Call,
    scope: &Scope<'a, '_>,
    site: Site<'_>,
) -> Result<Val<'a>, RenderError> {
    let path = head_path(&call.head);
    let simple = path.is_simple();
    let is_block_param = simple && scope.block_param(&path.parts[0]).is_some();
    let has_arguments = !call.params.is_empty() || !call.hash.is_empty();
    let name = path.parts.first().map(String::as_str).unwrap_or_default();
    let known = KNOWN_HELPERS.contains(&name);
    let helper_expression = matches!(site, Site::Sub) || has_arguments;
    let helper = !is_block_param && (helper_expression || (simple && known));
    let (program, inverse, is_block) = match site {
        Site::Block { program, inverse } => (program, inverse, true),
        Site::Mustache | Site::Sub => (None, None, false),
    };
    let mut invocation = Invocation {
        program,
        inverse,
        scope,
        is_block,
        this: scope.context.clone(),
    };
    if helper {
        let params = call
            .params
            .iter()
            .map(|param| value_of(param, scope))
            .collect::<Result<Vec<_>, _>>()?;
        if known {
            if invocation.this.is_nullish() {
                invocation.this = Val::Object(&NULL_CONTEXT);
            }
            return call_helper(name, params, &call.hash, scope, &invocation);
        }
        return missing_helper(&path, params, scope);
    }
    let value = lookup_path(&path, scope);
    if is_block {
        return block_helper_missing(value, &invocation);
    }
    Ok(value)
}

/// An unknown helper: Handlebars calls `(value || helperMissing)`, so a truthy value
/// throws "not a function" and `helperMissing` throws unless it got no arguments.
fn missing_helper<'a>(
    path: &Path,
    params: Vec<Val<'a>>,
    scope: &Scope<'a, '_>,
) -> Result<Val<'a>, RenderError> {
    let value = lookup_path(path, scope);
    if value.truthy() {
        return Err(RenderError(format!("{} is not a function", path.original)));
    }
    if params.is_empty() {
        Ok(Val::Undefined)
    } else {
        Err(RenderError(format!(
            "Missing helper: \"{}\"",
            path.original
        )))
    }
}

fn value_of<'a>(expr: &Expr, scope: &Scope<'a, '_>) -> Result<Val<'a>, RenderError> {
    Ok(match expr {
        Expr::Path(path) => lookup_path(path, scope),
        Expr::Sub(call) => evaluate(call, scope, Site::Sub)?,
        Expr::String(text) => Val::Str(Cow::Owned(text.clone())),
        Expr::Number(number) => Val::Number(*number),
        Expr::Boolean(flag) => Val::Bool(*flag),
        Expr::Undefined => Val::Undefined,
        Expr::Null => Val::Null,
    })
}

/// A path as data: block params first, then `@data`, then the context at its depth.
fn lookup_path<'a>(path: &Path, scope: &Scope<'a, '_>) -> Val<'a> {
    if path.data {
        let mut frame = Some(scope.data);
        for _ in 0..path.depth {
            frame = frame.and_then(|frame| frame.parent);
        }
        let Some(frame) = frame else {
            return Val::Undefined;
        };
        let Some((first, rest)) = path.parts.split_first() else {
            return Val::Undefined;
        };
        let mut value = frame.variable(first);
        for part in rest {
            if !value.truthy() {
                return value;
            }
            value = value.property(part);
        }
        return value;
    }
    let (mut value, rest) = match path.parts.split_first() {
        Some((first, rest)) if path.depth == 0 && !path.scoped => match scope.block_param(first) {
            Some(param) => (param, rest),
            None => (scope.context.clone(), &path.parts[..]),
        },
        _ => (scope.depth(path.depth), &path.parts[..]),
    };
    for part in rest {
        if value.is_nullish() {
            return value;
        }
        value = value.property(part);
    }
    value
}

/// `blockHelperMissing`: how `{{#name}}` runs when `name` is no helper.
fn block_helper_missing<'a>(
    value: Val<'a>,
    invocation: &Invocation<'_, 'a, '_>,
) -> Result<Val<'a>, RenderError> {
    match value {
        Val::Bool(true) => invocation.fn_this(),
        Val::Bool(false) | Val::Null | Val::Undefined => invocation.inverse_this(),
        Val::Array([]) => invocation.inverse_this(),
        Val::Array(_) => each(value, invocation),
        other => invocation.run(invocation.program, other, invocation.scope.data, Vec::new()),
    }
}

/// The `each` helper: `ret = ret + fn(...)` from `""`, or the inverse when nothing ran.
fn each<'a>(value: Val<'a>, invocation: &Invocation<'_, 'a, '_>) -> Result<Val<'a>, RenderError> {
    let data = invocation.scope.data;
    let frame = |key: Val<'a>, index: usize, last: bool| Frame {
        root: data.root.clone(),
        key: Some(key),
        index: Some(Val::Number(index as f64)),
        first: Some(Val::Bool(index == 0)),
        last: Some(Val::Bool(last)),
        parent: Some(data),
    };
    let entries: Vec<(Val<'a>, Val<'a>)> = match value {
        Val::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| (Val::Number(index as f64), Val::of(item)))
            .collect(),
        Val::Object(fields) => object_keys(fields)
            .into_iter()
            .map(|(key, item)| (Val::Str(Cow::Borrowed(key.as_str())), Val::of(item)))
            .collect(),
        _ => Vec::new(),
    };
    let mut output = Output::starting_with_text();
    let iterations = entries.len();
    for (index, (key, item)) in entries.into_iter().enumerate() {
        let frame = frame(key.clone(), index, index + 1 == iterations);
        output.append(invocation.run(invocation.program, item.clone(), &frame, vec![item, key])?);
    }
    if iterations == 0 {
        return invocation.inverse_this();
    }
    Ok(output.finish())
}

/// `Object.keys` order: array-index keys ascending, then the others as inserted (the
/// last value of a repeated key, at its first position).
fn object_keys(fields: &[(String, JsValue)]) -> Vec<(&String, &JsValue)> {
    let mut unique: Vec<(&String, &JsValue)> = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        match unique.iter_mut().find(|(existing, _)| *existing == key) {
            Some(slot) => slot.1 = value,
            None => unique.push((key, value)),
        }
    }
    let (mut indices, others): (Vec<_>, Vec<_>) = unique
        .into_iter()
        .partition(|(key, _)| array_index(key).is_some_and(|index| index < u32::MAX as usize));
    indices.sort_by_key(|(key, _)| array_index(key));
    indices.extend(others);
    indices
}

fn call_helper<'a>(
    name: &str,
    params: Vec<Val<'a>>,
    hash: &[(String, Expr)],
    scope: &Scope<'a, '_>,
    invocation: &Invocation<'_, 'a, '_>,
) -> Result<Val<'a>, RenderError> {
    let arity = |expected: usize, message: &str| {
        if params.len() == expected {
            Ok(())
        } else {
            Err(RenderError(message.to_owned()))
        }
    };
    match name {
        "if" | "unless" => {
            arity(1, &format!("#{name} requires exactly one argument"))?;
            let include_zero = match hash.iter().find(|(key, _)| key == "includeZero") {
                Some((_, expr)) => value_of(expr, scope)?.truthy(),
                None => false,
            };
            let condition = &params[0];
            let falsy = (!include_zero && !condition.truthy()) || condition.is_empty();
            if falsy == (name == "if") {
                invocation.inverse_this()
            } else {
                invocation.fn_this()
            }
        }
        "with" => {
            arity(1, "#with requires exactly one argument")?;
            let context = params[0].clone();
            if context.is_empty() {
                invocation.inverse_this()
            } else {
                invocation.run(
                    invocation.program,
                    context.clone(),
                    scope.data,
                    vec![context],
                )
            }
        }
        "each" => {
            if params.len() != 1 {
                return Err(RenderError("Must pass iterator to #each".into()));
            }
            each(params[0].clone(), invocation)
        }
        "lookup" => match params.as_slice() {
            [object, _, ..] | [object] if !object.truthy() => Ok(object.clone()),
            [object, field] => Ok(object.property(&field.js_string())),
            _ => Err(RenderError(
                "Cannot read properties of undefined (reading 'lookupProperty')".into(),
            )),
        },
        "log" => Ok(Val::Undefined),
        "helperMissing" => {
            if params.is_empty() {
                Ok(Val::Undefined)
            } else {
                Err(RenderError("Missing helper: \"helperMissing\"".into()))
            }
        }
        _ => match params.as_slice() {
            [value] => block_helper_missing(value.clone(), invocation),
            _ => Err(RenderError(
                "Cannot read properties of undefined (reading 'inverse')".into(),
            )),
        },
    }
}
