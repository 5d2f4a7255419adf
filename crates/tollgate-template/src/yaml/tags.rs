//! CloudFormation's short-form tags (`!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`): their
//! long forms, the shapes their arguments must have, and tags that are not CloudFormation's.

use super::builder::Builder;
use crate::error::{ErrorKind, LoadError};
use crate::source::Span;
use saphyr_parser::Tag;
use serde_json::Value;

/// How a short-form tag's argument must look.
#[derive(Clone, Copy)]
pub(super) enum Shape {
    Scalar,
    List(Option<usize>, Option<usize>),
    Map,
    Any,
    /// A scalar, or a list of `min` to `max` items.
    ScalarOrList(usize, usize),
    ScalarOrMap,
}

/// The CloudFormation short-form tags: YAML suffix, long-form key, argument shape.
const TAGS: &[(&str, &str, Shape)] = &[
    // A mapping: an intrinsic that computes the name (`!Ref {Fn::Sub: 'Subnet${Name}'}`, as
    // the `AWS::LanguageExtensions` transform allows).
    ("Ref", "Ref", Shape::ScalarOrMap),
    ("Condition", "Condition", Shape::Scalar),
    ("Sub", "Fn::Sub", Shape::ScalarOrList(1, 2)),
    ("GetAtt", "Fn::GetAtt", Shape::ScalarOrList(2, 2)),
    ("Join", "Fn::Join", Shape::List(Some(2), Some(2))),
    ("Select", "Fn::Select", Shape::List(Some(2), Some(2))),
    ("Split", "Fn::Split", Shape::List(Some(2), Some(2))),
    ("If", "Fn::If", Shape::List(Some(3), Some(3))),
    ("Equals", "Fn::Equals", Shape::List(Some(2), Some(2))),
    ("And", "Fn::And", Shape::List(Some(1), None)),
    ("Or", "Fn::Or", Shape::List(Some(1), None)),
    ("Not", "Fn::Not", Shape::List(Some(1), Some(1))),
    ("FindInMap", "Fn::FindInMap", Shape::List(Some(3), Some(4))),
    ("Base64", "Fn::Base64", Shape::Any),
    ("Cidr", "Fn::Cidr", Shape::List(Some(3), Some(3))),
    ("ImportValue", "Fn::ImportValue", Shape::ScalarOrMap),
    ("GetAZs", "Fn::GetAZs", Shape::ScalarOrMap),
    ("Transform", "Fn::Transform", Shape::Map),
    ("ToJsonString", "Fn::ToJsonString", Shape::Any),
    ("Length", "Fn::Length", Shape::Any),
    // Functions of the template's `Rules` section.
    ("Contains", "Fn::Contains", Shape::List(Some(2), Some(2))),
    (
        "EachMemberEquals",
        "Fn::EachMemberEquals",
        Shape::List(Some(2), Some(2)),
    ),
    (
        "EachMemberIn",
        "Fn::EachMemberIn",
        Shape::List(Some(2), Some(2)),
    ),
    ("RefAll", "Fn::RefAll", Shape::Scalar),
    ("ValueOf", "Fn::ValueOf", Shape::List(Some(2), Some(2))),
    (
        "ValueOfAll",
        "Fn::ValueOfAll",
        Shape::List(Some(2), Some(2)),
    ),
];

impl Builder<'_> {
    /// The long form of a short-form tag. A tag that is not CloudFormation's (a
    /// preprocessor's, such as `!Rain::Embed`) keeps its name as the key of the long form
    /// (`{"Rain::Embed": "file.txt"}`, as Rain writes it), which policies see as an unknown
    /// value, and a warning names it.
    pub(super) fn lookup_tag(&mut self, tag: &Tag, span: Span) -> (String, Shape) {
        if let Some((_, long, shape)) = TAGS.iter().find(|(suffix, _, _)| *suffix == tag.suffix) {
            return ((*long).to_string(), *shape);
        }
        if self.expanding == 0 {
            let what = if tag.suffix.starts_with("Rain::") {
                "a Rain preprocessor tag"
            } else {
                "not a CloudFormation function (a preprocessor's tag?)"
            };
            self.warnings.push(
                LoadError::at(
                    ErrorKind::UnknownTag,
                    self.src,
                    span,
                    format!(
                        "unknown tag !{}: {what}; its value is checked as unknown",
                        tag.suffix
                    ),
                    "not a CloudFormation function",
                )
                .with_help("expand the template first (e.g. `rain pkg template.yaml`) to check what the tag makes; CloudFormation short forms are !Ref, !Sub, !GetAtt, !Join, !Select, !Split, !If, !Equals, !And, !Or, !Not, !Condition, !FindInMap, !Base64, !Cidr, !ImportValue, !GetAZs, !Transform (and the Rules functions)"),
            );
        }
        (tag.suffix.clone(), Shape::Any)
    }

    pub(super) fn check_shape(
        &self,
        long: &str,
        shape: Shape,
        got: ArgKind,
        span: Span,
    ) -> Result<(), LoadError> {
        match shape_mismatch(shape, got) {
            None => Ok(()),
            Some(expected) => Err(LoadError::at(
                ErrorKind::TagShape,
                self.src,
                span,
                format!("{long} takes {expected}, found {}", got.describe()),
                format!("expected {expected}"),
            )),
        }
    }

    /// `!GetAtt Resource.Attribute` → `["Resource", "Attribute"]` (attributes may contain dots).
    pub(super) fn getatt_scalar(&mut self, text: &str, span: Span) -> Result<Value, LoadError> {
        let parts = text
            .split_once('.')
            .filter(|(r, a)| !r.is_empty() && !a.is_empty());
        let Some((resource, attribute)) = parts else {
            return Err(LoadError::at(
                ErrorKind::TagShape,
                self.src,
                span,
                format!("!GetAtt \"{text}\" has no attribute"),
                "expected Resource.Attribute",
            )
            .with_help(
                "write `!GetAtt Resource.Attribute`, e.g. `!GetAtt MyVpc.DefaultSecurityGroup`",
            ));
        };
        let slot = self.index.open(span, None);
        self.index.leaf(span, None);
        self.index.leaf(span, None);
        self.index.close(slot);
        Ok(Value::Array(vec![
            Value::String(resource.to_string()),
            Value::String(attribute.to_string()),
        ]))
    }
}

/// What `shape` expects, when `got` does not fit it.
fn shape_mismatch(shape: Shape, got: ArgKind) -> Option<String> {
    let ok = match (shape, got) {
        (Shape::Any, _) => true,
        (Shape::Scalar, ArgKind::Scalar) => true,
        (Shape::Map, ArgKind::Map) => true,
        (Shape::ScalarOrList(..), ArgKind::Scalar) => true,
        (Shape::ScalarOrList(min, max), ArgKind::List(n)) => n >= min && n <= max,
        (Shape::ScalarOrMap, ArgKind::Scalar | ArgKind::Map) => true,
        (Shape::List(min, max), ArgKind::List(n)) => {
            min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
        }
        _ => false,
    };
    if ok {
        return None;
    }
    Some(match shape {
        Shape::Scalar => "a string".to_string(),
        Shape::Map => "a mapping".to_string(),
        Shape::ScalarOrList(a, b) if a == b => format!("a string or a list of {a}"),
        Shape::ScalarOrList(a, b) => format!("a string or a list of {a} to {b}"),
        Shape::ScalarOrMap => "a string or a mapping".to_string(),
        Shape::List(Some(a), Some(b)) if a == b => format!("a list of {a}"),
        Shape::List(Some(a), Some(b)) => format!("a list of {a} to {b}"),
        Shape::List(Some(a), None) => format!("a list of at least {a}"),
        _ => "a value".to_string(),
    })
}

#[derive(Clone, Copy)]
pub(super) enum ArgKind {
    Scalar,
    List(usize),
    Map,
}

impl ArgKind {
    fn describe(self) -> String {
        match self {
            ArgKind::Scalar => "a scalar".into(),
            ArgKind::List(n) => format!("a list of {n}"),
            ArgKind::Map => "a mapping".into(),
        }
    }
}

pub(super) fn is_cfn_tag(tag: &Tag) -> bool {
    tag.handle == "!"
}
