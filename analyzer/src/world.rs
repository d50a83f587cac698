//! The configuration a bundle shows, correlated across its files.
//!
//! Accounts, pools, nodes and tasks from resource JSON are joined by
//! identity resource id (compared without case, as ARM does), pool id and
//! node id, and [`ConfigCheck`]s ask the questions the support article's
//! behaviour tables turn on: is the node identity reference set, is it one
//! of the pool's identities, does the pool have a user-assigned identity at
//! all, do resource files name identities the pool lacks.

use batchdiag_parser::evidence::IdentityParam;
use batchdiag_parser::{AccountConfig, PoolConfig};

use crate::report::EvidenceItem;
use crate::rules::AgentFix;

/// A question about the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigCheck {
    /// An account's autostorage uses `BatchAccountManagedIdentity` and has no node identity reference.
    NodeReferenceMissing,
    /// The node identity reference is set but some pool does not list that identity.
    NodeReferenceNotInPool,
    /// The node identity reference is set and every known pool lists it.
    NodeReferenceInPool,
    /// A pool has no user-assigned identity while its nodes need autostorage.
    PoolWithoutUserAssignedIdentity,
    /// A resource file names an identity that no known pool has.
    ResourceFileIdentityNotInPool,
    /// IMDS answered with a `client_id` other than the one of the identity asked for.
    ImdsClientIdMismatch,
    /// The bundle holds account JSON and no account's autostorage
    /// authenticates with a managed identity: nodes use no identity for it.
    AutostorageWithoutManagedIdentity,
}

/// The answer to a [`ConfigCheck`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It holds; these evidence items show it.
    Holds(Vec<String>),
    /// It holds if an input the bundle lacks agrees (these items show the
    /// rest): a diagnosis on it is only possible and says what would decide.
    Assumed(Vec<String>),
    /// The configuration is there and says otherwise.
    Fails,
    /// The bundle holds no configuration that could tell.
    Unknown,
}

/// Evidence joined across files.
#[derive(Clone)]
pub struct World<'a> {
    accounts: Vec<(&'a str, &'a AccountConfig)>,
    pools: Vec<(&'a str, &'a PoolConfig)>,
    items: &'a [EvidenceItem],
}

#[cfg(test)]
thread_local! {
    /// How many worlds this thread has built, so a test can show that a
    /// report builds one (tests run on threads of their own).
    pub(crate) static BUILT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

const MI_MODE: &str = "BatchAccountManagedIdentity";

fn same_id(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn uses_mi(a: &AccountConfig) -> bool {
    a.autostorage
        .as_ref()
        .and_then(|s| s.authentication_mode.as_deref())
        .is_some_and(|m| m.eq_ignore_ascii_case(MI_MODE))
}

fn node_reference(a: &AccountConfig) -> Option<&str> {
    a.autostorage
        .as_ref()?
        .node_identity_reference
        .as_deref()
        .filter(|r| !r.is_empty())
}

fn pool_has(p: &PoolConfig, identity: &str) -> bool {
    p.identities
        .iter()
        .any(|i| same_id(&i.resource_id, identity))
}

fn user_assigned(p: &PoolConfig) -> bool {
    p.identity_type
        .as_deref()
        .is_some_and(|t| t.to_ascii_lowercase().contains("userassigned"))
        && !p.identities.is_empty()
}

impl<'a> World<'a> {
    /// Joins the evidence. A report needs this once: [`crate::analyze`]
    /// builds it and every rule reads the same view.
    pub fn new(items: &'a [EvidenceItem]) -> Self {
        #[cfg(test)]
        BUILT.with(|n| n.set(n.get() + 1));
        let mut w = World {
            accounts: Vec::new(),
            pools: Vec::new(),
            items,
        };
        for i in items {
            if let Some(a) = i.evidence.fact.as_account() {
                w.accounts.push((&i.id, a));
            }
            if let Some(p) = i.evidence.fact.as_pool() {
                w.pools.push((&i.id, p));
            }
        }
        w
    }

    /// The same bundle seen from one Batch account: its account JSON and its
    /// pools (pools that name no account are kept). Symptoms that name their
    /// account are judged against its configuration only.
    ///
    /// `key` is an account name, or `subscription/resource-group/name` as an
    /// ARM id gives it: then an account JSON elsewhere (another
    /// subscription or resource group) of the same name is not this account.
    pub fn scoped(&self, key: &str) -> World<'a> {
        let (place, account) = match key.rsplit_once('/') {
            Some((place, name)) => (place.split_once('/'), name),
            None => (None, key),
        };
        let mine = |name: Option<&str>| name.is_none_or(|n| n.eq_ignore_ascii_case(account));
        let same_place = |a: &AccountConfig| {
            let Some((sub, rg)) = place else { return true };
            let Some(id) = a
                .account_id
                .as_deref()
                .and_then(batchdiag_parser::arm::ArmResourceId::parse)
            else {
                return true;
            };
            (sub.is_empty() || id.subscription.eq_ignore_ascii_case(sub))
                && (rg.is_empty()
                    || id
                        .resource_group
                        .as_deref()
                        .is_none_or(|g| g.eq_ignore_ascii_case(rg)))
        };
        World {
            accounts: self
                .accounts
                .iter()
                .filter(|(_, a)| {
                    a.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(account))
                        && same_place(a)
                })
                .copied()
                .collect(),
            pools: self
                .pools
                .iter()
                .filter(|(_, p)| mine(p.account.as_deref()))
                .copied()
                .collect(),
            items: self.items,
        }
    }

    /// The bundle split by Batch account, so configuration is judged only
    /// with configuration of the same account: one view per account named
    /// by an account or pool JSON (pools that name none join every view),
    /// plus one of the account JSON that names no account, if any.
    pub fn scopes(&self) -> Vec<World<'a>> {
        let mut names: Vec<String> = Vec::new();
        let named = self
            .accounts
            .iter()
            .filter_map(|(_, a)| a.name.as_deref())
            .chain(self.pools.iter().filter_map(|(_, p)| p.account.as_deref()));
        for n in named {
            let n = n.to_ascii_lowercase();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        if names.is_empty() {
            return vec![self.clone()];
        }
        let mut views: Vec<World<'a>> = names.iter().map(|n| self.scoped(n)).collect();
        let nameless: Vec<(&'a str, &'a AccountConfig)> = self
            .accounts
            .iter()
            .filter(|(_, a)| a.name.is_none())
            .copied()
            .collect();
        if !nameless.is_empty() {
            views.push(World {
                accounts: nameless,
                pools: self
                    .pools
                    .iter()
                    .filter(|(_, p)| p.account.is_none())
                    .copied()
                    .collect(),
                items: self.items,
            });
        }
        views
    }

    /// The same view with only this pool's configuration: a symptom on a
    /// pool is judged by that pool, not by another pool of the account.
    pub fn with_pool(&self, pool: &str) -> World<'a> {
        World {
            accounts: self.accounts.clone(),
            pools: self
                .pools
                .iter()
                .filter(|(_, p)| p.pool.eq_ignore_ascii_case(pool))
                .copied()
                .collect(),
            items: self.items,
        }
    }

    /// The view holds this pool's configuration.
    pub fn has_pool(&self, pool: &str) -> bool {
        self.pools
            .iter()
            .any(|(_, p)| p.pool.eq_ignore_ascii_case(pool))
    }

    /// A node snapshot that a later snapshot of the same node replaces: the
    /// node's state then is what counts, not what it was.
    pub fn superseded(&self, item: &EvidenceItem) -> bool {
        let Some(n) = item.evidence.fact.as_node() else {
            return false;
        };
        let Some(seen) = n.observed() else {
            return false;
        };
        self.items.iter().any(|o| {
            o.id != item.id
                && o.evidence.fact.as_node().is_some_and(|m| {
                    m.node.eq_ignore_ascii_case(&n.node)
                        && (m.pool.is_none() || n.pool.is_none() || m.pool == n.pool)
                        && m.observed().is_some_and(|t| t > seen)
                })
        })
    }

    /// Every evidence item of the bundle (a scoped view keeps them all: its
    /// scope is the configuration, not the symptoms).
    pub fn items(&self) -> &'a [EvidenceItem] {
        self.items
    }

    /// The only account in the bundle, if there is exactly one.
    pub fn single_account(&self) -> Option<&'a AccountConfig> {
        self.single_account_item().map(|(_, a)| a)
    }

    /// The only account in the bundle and the id of its evidence item.
    pub fn single_account_item(&self) -> Option<(&'a str, &'a AccountConfig)> {
        match self.accounts.as_slice() {
            [a] => Some(*a),
            _ => None,
        }
    }

    /// Whether the bundle holds account JSON, and pool JSON.
    pub fn has_config(&self) -> (bool, bool) {
        (!self.accounts.is_empty(), !self.pools.is_empty())
    }

    /// The pools in the bundle with the ids of their evidence items.
    pub fn pool_items(&self) -> impl Iterator<Item = (&'a str, &'a PoolConfig)> + '_ {
        self.pools.iter().copied()
    }

    /// The pools in the bundle.
    pub fn pools(&self) -> impl Iterator<Item = &'a PoolConfig> + '_ {
        self.pools.iter().map(|(_, p)| *p)
    }

    /// Answers a configuration question.
    pub fn check(&self, c: ConfigCheck) -> Outcome {
        let ids = |v: Vec<&str>| Outcome::Holds(v.into_iter().map(str::to_string).collect());
        let mi: Vec<&(&str, &AccountConfig)> =
            self.accounts.iter().filter(|(_, a)| uses_mi(a)).collect();
        match c {
            ConfigCheck::NodeReferenceMissing => {
                if self.accounts.is_empty() {
                    return Outcome::Unknown;
                }
                let missing: Vec<&str> = mi
                    .iter()
                    .filter(|(_, a)| node_reference(a).is_none())
                    .map(|(id, _)| *id)
                    .collect();
                if missing.is_empty() {
                    Outcome::Fails
                } else {
                    ids(missing)
                }
            }
            ConfigCheck::NodeReferenceNotInPool | ConfigCheck::NodeReferenceInPool => {
                let with_ref: Vec<(&str, &str)> = mi
                    .iter()
                    .filter_map(|(id, a)| node_reference(a).map(|r| (*id, r)))
                    .collect();
                // An account that names no reference shows the reference is not set correctly.
                if with_ref.is_empty() && !self.accounts.is_empty() {
                    return Outcome::Fails;
                }
                if with_ref.is_empty() || self.pools.is_empty() {
                    return if self.accounts.is_empty() || self.pools.is_empty() {
                        Outcome::Unknown
                    } else {
                        Outcome::Fails
                    };
                }
                let mut lacking: Vec<&str> = Vec::new();
                for (acct_id, r) in &with_ref {
                    // A pool without any user-assigned identity is BD204's case.
                    let bad: Vec<&str> = self
                        .pools
                        .iter()
                        .filter(|(_, p)| user_assigned(p) && !pool_has(p, r))
                        .map(|(id, _)| *id)
                        .collect();
                    if !bad.is_empty() {
                        lacking.push(acct_id);
                        lacking.extend(bad);
                    }
                }
                let not_in_pool = !lacking.is_empty();
                match (c, not_in_pool) {
                    (ConfigCheck::NodeReferenceNotInPool, true) => ids(lacking),
                    (ConfigCheck::NodeReferenceInPool, false) => {
                        let mut all: Vec<&str> = with_ref.iter().map(|(id, _)| *id).collect();
                        all.extend(self.pools.iter().map(|(id, _)| *id));
                        ids(all)
                    }
                    _ => Outcome::Fails,
                }
            }
            ConfigCheck::PoolWithoutUserAssignedIdentity => {
                if self.pools.is_empty() {
                    return Outcome::Unknown;
                }
                // Nodes need autostorage when the account authenticates to it with a
                // managed identity; without account JSON, when the pool has packages.
                let account_needs = !mi.is_empty();
                let bad: Vec<&str> = self
                    .pools
                    .iter()
                    .filter(|(_, p)| {
                        !user_assigned(p)
                            && (account_needs
                                || (self.accounts.is_empty() && !p.application_packages.is_empty()))
                    })
                    .map(|(id, _)| *id)
                    .collect();
                if bad.is_empty() {
                    return Outcome::Fails;
                }
                let mut v: Vec<&str> = mi.iter().map(|(id, _)| *id).collect();
                v.extend(bad);
                if account_needs {
                    ids(v)
                } else {
                    // No account JSON: that autostorage uses managed identities is assumed.
                    Outcome::Assumed(v.into_iter().map(str::to_string).collect())
                }
            }
            ConfigCheck::AutostorageWithoutManagedIdentity => {
                if self.accounts.is_empty() || !mi.is_empty() {
                    return Outcome::Fails;
                }
                ids(self.accounts.iter().map(|(id, _)| *id).collect())
            }
            ConfigCheck::ImdsClientIdMismatch => {
                let answers: Vec<&EvidenceItem> = self
                    .items
                    .iter()
                    .filter(|i| {
                        i.evidence
                            .fact
                            .as_imds()
                            .is_some_and(|im| im.client_id.is_some())
                    })
                    .collect();
                if answers.is_empty() {
                    return Outcome::Unknown;
                }
                let bad: Vec<&str> = answers
                    .iter()
                    .filter(|i| {
                        i.evidence
                            .fact
                            .as_imds()
                            .and_then(|im| self.client_id_mismatch(im))
                            .is_some()
                    })
                    .map(|i| i.id.as_str())
                    .collect();
                if bad.is_empty() {
                    return if self.pools.is_empty() {
                        Outcome::Unknown
                    } else {
                        Outcome::Fails
                    };
                }
                let mut v = bad;
                v.extend(self.pools.iter().map(|(id, _)| *id));
                ids(v)
            }
            ConfigCheck::ResourceFileIdentityNotInPool => {
                if self.pools.is_empty() {
                    return Outcome::Unknown;
                }
                let mut v: Vec<&str> = Vec::new();
                for i in self.items {
                    let Some(t) = i.evidence.fact.as_task() else {
                        continue;
                    };
                    let lacking = t
                        .resource_files
                        .iter()
                        .filter(|f| !f.has_sas)
                        .filter_map(|f| f.identity.as_deref())
                        .any(|id| !self.pools.iter().any(|(_, p)| pool_has(p, id)));
                    if lacking {
                        v.push(&i.id);
                    }
                }
                if v.is_empty() {
                    return Outcome::Fails;
                }
                v.extend(self.pools.iter().map(|(id, _)| *id));
                ids(v)
            }
        }
    }

    /// `(returned, expected)` client ids when an IMDS answer is for another identity
    /// than the one asked for (by client id, or by resource id as the pool lists it).
    pub fn client_id_mismatch(&self, im: &batchdiag_parser::ImdsToken) -> Option<(String, String)> {
        let returned = im.client_id.as_deref()?;
        let expected = match &im.requested {
            Some(r) if r.by == IdentityParam::ClientId => Some(r.value.clone()),
            Some(r) if r.by.is_resource_id() => self
                .pools
                .iter()
                .flat_map(|(_, p)| p.identities.iter())
                .find(|i| same_id(&i.resource_id, &r.value))
                .and_then(|i| i.client_id.clone()),
            Some(_) => None,
            None => {
                // No identity named: a pool with exactly one identity defines the expectation.
                let all: Vec<&str> = self
                    .pools
                    .iter()
                    .flat_map(|(_, p)| p.identities.iter())
                    .filter_map(|i| i.client_id.as_deref())
                    .collect();
                match all.as_slice() {
                    [one] => Some(one.to_string()),
                    _ => None,
                }
            }
        }?;
        (!expected.eq_ignore_ascii_case(returned)).then(|| (returned.to_string(), expected))
    }

    /// Identities named by resource files that no known pool has.
    pub fn resource_identities_not_in_pool(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in self.items.iter().filter_map(|i| i.evidence.fact.as_task()) {
            for id in t
                .resource_files
                .iter()
                .filter(|f| !f.has_sas)
                .filter_map(|f| f.identity.as_deref())
            {
                if !self.pools.iter().any(|(_, p)| pool_has(p, id))
                    && !out.iter().any(|o| same_id(o, id))
                {
                    out.push(id.to_string());
                }
            }
        }
        out
    }

    /// Notes on node agents older than the releases that fixed these failures.
    pub fn agent_notes(&self, fixes: &[AgentFix]) -> Vec<String> {
        let mut notes = Vec::new();
        for n in self.items.iter().filter_map(|i| i.evidence.fact.as_node()) {
            let Some(v) = n.agent_version.as_deref().and_then(parse_version) else {
                continue;
            };
            for AgentFix { fixed_in, what } in fixes {
                if v < *fixed_in {
                    notes.push(format!(
                        "node {} runs node agent {}; {what}: upgrade the agent (recreate the nodes) when the configuration is right",
                        n.node,
                        n.agent_version.as_deref().unwrap_or("?")
                    ));
                }
            }
        }
        notes
    }
}

/// `1.11.3` (or `1.11.3.0`) as a triple.
fn parse_version(v: &str) -> Option<(u32, u32, u32)> {
    let mut it = v.trim().split('.').map(|p| p.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.11.3"), Some((1, 11, 3)));
        assert_eq!(parse_version("1.10"), Some((1, 10, 0)));
        assert!(parse_version("1.11.3") < Some((1, 11, 5)));
        assert_eq!(parse_version("x"), None);
    }

    #[test]
    fn ids_compare_without_case_or_trailing_slash() {
        assert!(same_id(
            "/subscriptions/S/resourceGroups/G/providers/x/Y/",
            "/subscriptions/s/resourcegroups/g/providers/X/y"
        ));
    }
}
