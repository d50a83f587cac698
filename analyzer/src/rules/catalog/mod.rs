//! The diagnosis catalog (`../shared/domain.md`): one [`Rule`] per code,
//! one file per rule, each with the samples that must and must not make it
//! fire. Codes and slugs never change meaning once shipped; scripts match on
//! them.

mod bd101;
mod bd201;
mod bd202;
mod bd203;
mod bd204;
mod bd301;
mod bd401;
mod bd402;
mod bd403;

pub use bd101::BD101;
pub use bd201::BD201;
pub use bd202::BD202;
pub use bd203::BD203;
pub use bd204::BD204;
pub use bd301::BD301;
pub use bd401::BD401;
pub use bd402::BD402;
pub use bd403::BD403;

use super::{AgentFix, Rule};

/// Every rule, in code order.
pub static RULES: &[Rule] = &[
    BD101, BD201, BD202, BD203, BD204, BD301, BD401, BD402, BD403,
];

/// Looks a rule up by code (case-insensitive) or slug.
pub fn find(code_or_slug: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_slug) || r.slug.eq_ignore_ascii_case(code_or_slug)
    })
}

/// The IMDS token request a fix asks the reader to run on a node (BD401, BD402).
const IMDS_CURL: &str = "curl -s -H Metadata:true \"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/&mi_res_id={identity_resource_id}\" | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t.get(\"client_id\"), t.get(\"error_description\"))'";

/// Node-agent changelog entries about nodes that reach autostorage with a
/// misconfigured managed identity (BD202, BD203, BD204).
const PACKAGE_IDENTITY_FIXES: &[AgentFix] = &[
    AgentFix {
        fixed_in: (1, 10, 7),
        what: "1.10.7 fixed an endless application-package download loop with a misconfigured managed identity",
    },
    AgentFix {
        fixed_in: (1, 10, 8),
        what: "1.10.8 lengthened the autostorage managed-identity authentication timeout",
    },
];
