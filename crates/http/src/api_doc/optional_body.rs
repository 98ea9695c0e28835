//! Optional raw bodies described as optional, not as "bytes or JSON `null`".
//!
//! utoipa spells `request_body(content = Option<Binary>)` as a body that is not required
//! whose schema is `oneOf: [null, Binary]`. A raw body is never JSON `null`: it is bytes or
//! absent, which `required: false` already says, and generated clients read the `null` branch
//! as a JSON body. This modifier keeps the reference alone.

use utoipa::Modify;
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// Drops the `null` branch of every optional request body's schema.
#[derive(Debug)]
pub struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, api: &mut OpenApi) {
        for item in api.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let Some(body) = op.request_body.as_mut() else {
                    continue;
                };
                for content in body.content.values_mut() {
                    if let Some(schema) = content.schema.as_mut() {
                        drop_null_branch(schema);
                    }
                }
            }
        }
    }
}

/// `oneOf: [null, X]` becomes `X`.
fn drop_null_branch(schema: &mut RefOr<Schema>) {
    let RefOr::T(Schema::OneOf(one)) = schema else {
        return;
    };
    let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
    let rest: Vec<&RefOr<Schema>> = one.items.iter().filter(|s| !is_null(s)).collect();
    if let [only] = rest.as_slice()
        && rest.len() < one.items.len()
    {
        *schema = (*only).clone();
    }
}
