//! What each app caches and what its cached data embeds, declared next to the data (each app's
//! `AppData`), and the invalidation rules derived from those declarations.
//!
//! A cached view says which entity it shows and which other entities' fields it embeds (a
//! property's detail embeds its category's name, its tags and its options). A change to an
//! entity then reaches every view that shows it (whole, or its own keys per id) and every view
//! that embeds it, and revalidates the web tags of both: nothing about another app's caches is
//! written by hand, so a new view cannot be forgotten by the map. Web tags are typed constants
//! shared by the pages that carry them and the rules that expire them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::LazyLock;

use strata_cache::{CacheKey, Namespace};

use crate::admin::schedule::TransitionFn;

/// A model whose mutations invalidate something, by its stable name (`"property"`): the name
/// is what the invalidation journal stores, so it never changes once released. Each app
/// defines its entities as constants; [`Catalog::entity`] reads a stored name back.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entity(&'static str);

impl Entity {
    pub const fn new(name: &'static str) -> Self {
        Entity(name)
    }

    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl serde::Serialize for Entity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

/// The platform's staff users: private data nothing public caches, but apps may embed a
/// user's display name (a post's author), so the entity is known to every app.
pub const USER: Entity = Entity::new("user");

/// A web-tier tag for a whole collection (`properties`): carried by every page that lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collection(&'static str);

impl Collection {
    pub const fn new(tag: &'static str) -> Self {
        Collection(tag)
    }

    pub fn tag(self) -> String {
        self.0.to_owned()
    }
}

/// A web-tier tag per object id (`property:42`): carried by the object's own pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerId(&'static str);

impl PerId {
    pub const fn new(prefix: &'static str) -> Self {
        PerId(prefix)
    }

    pub fn of(self, id: i64) -> String {
        format!("{}:{id}", self.0)
    }
}

/// A web-tier tag per object slug (`category:villa`): carried by pages addressed by the slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerSlug(&'static str);

impl PerSlug {
    pub const fn new(prefix: &'static str) -> Self {
        PerSlug(prefix)
    }

    pub fn of(self, slug: &str) -> String {
        format!("{}:{slug}", self.0)
    }
}

/// An entity and the web tags of the pages that show it.
#[derive(Clone, Copy, Debug)]
pub struct EntityDecl {
    pub entity: Entity,
    /// Every page listing it (and every page embedding it, through the embedding view's entity).
    pub all: Option<Collection>,
    pub by_id: Option<PerId>,
    pub by_slug: Option<PerSlug>,
}

/// Every key of one object in a per-id view (one per content language).
pub type KeysOf = fn(i64) -> Vec<CacheKey>;

/// How a cached view's keys follow the rows it shows.
#[derive(Clone, Copy)]
pub enum Keys {
    /// Lists and anything keyed by query parameters: any change empties the namespace.
    Whole,
    /// One object's keys (one per content language): a change to its own rows deletes those.
    ById(KeysOf),
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Keys::Whole => "Whole",
            Keys::ById(_) => "ById",
        })
    }
}

/// One cached namespace, the entity whose rows it shows, and the entities whose fields it
/// embeds: the fact the invalidation rules are derived from.
#[derive(Clone, Debug)]
pub struct CachedView {
    pub namespace: Namespace,
    pub shows: Entity,
    pub keys: Keys,
    pub embeds: &'static [Entity],
}

impl CachedView {
    /// A view keyed by query (lists), invalidated whole by any change it shows or embeds.
    pub const fn whole(namespace: Namespace, shows: Entity, embeds: &'static [Entity]) -> Self {
        CachedView {
            namespace,
            shows,
            keys: Keys::Whole,
            embeds,
        }
    }

    /// A view keyed by the shown object's id (details): its own change deletes that object's
    /// keys; a change to an embedded entity empties the namespace (which objects embed a
    /// renamed tag is not known without a query).
    pub const fn per_id(
        namespace: Namespace,
        shows: Entity,
        keys: KeysOf,
        embeds: &'static [Entity],
    ) -> Self {
        CachedView {
            namespace,
            shows,
            keys: Keys::ById(keys),
            embeds,
        }
    }
}

/// The kinds of taxonomy term other apps refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    Category,
    Tag,
    Option,
}

/// A column of an app's table that holds a term's id: a foreign key (a property's
/// `category_id`) or a link table's column (`tag_id` of `real_estate_property_tag`, whose rows
/// are unique per owner and term, so a row counts one owner). Taxonomy counts, moves or detaches
/// these when a term in use is deleted, as Django finds the foreign keys pointing at a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermRef {
    pub term: Term,
    pub table: &'static str,
    pub column: &'static str,
    /// One row of `table` as a refusal names it, singular and plural: `("property",
    /// "properties")`.
    pub noun: (&'static str, &'static str),
}

/// An entity published in time: the transition its scheduled tasks run
/// (`crate::admin::schedule::transition::<R>` of its resource).
#[derive(Clone, Copy)]
pub struct Schedule {
    pub entity: Entity,
    pub transition: TransitionFn,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schedule")
            .field("entity", &self.entity)
            .finish_non_exhaustive()
    }
}

/// What one app declares about its data: its entities, the views it caches, the columns of
/// its tables that hold taxonomy terms, and the entities it schedules.
#[derive(Clone, Copy, Debug)]
pub struct AppData {
    pub name: &'static str,
    pub entities: &'static [EntityDecl],
    pub views: &'static [CachedView],
    pub term_refs: &'static [TermRef],
    pub schedules: &'static [Schedule],
}

/// What one entity's mutations invalidate, derived from every app's declarations.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    /// Invalidated whole: lists of the entity, and every view that embeds it.
    pub namespaces: Vec<Namespace>,
    /// Invalidated per changed id: the entity's own detail keys.
    pub per_id: Vec<KeysOf>,
    pub collections: Vec<Collection>,
    pub by_id: Option<PerId>,
    pub by_slug: Option<PerSlug>,
}

/// A change made concrete: the namespaces, keys and web tags to invalidate.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub namespaces: Vec<Namespace>,
    pub keys: Vec<CacheKey>,
    pub tags: BTreeSet<String>,
}

/// Every app's declarations, indexed, with the rules derived from them.
#[derive(Debug)]
pub struct Catalog {
    apps: Vec<&'static AppData>,
    rules: BTreeMap<Entity, Rule>,
    problems: Vec<String>,
}

impl Catalog {
    pub fn new(apps: &[&'static AppData]) -> Self {
        let mut problems = Vec::new();
        let mut decls: BTreeMap<Entity, &EntityDecl> = BTreeMap::new();
        for app in apps {
            for decl in app.entities {
                if decls.insert(decl.entity, decl).is_some() {
                    problems.push(format!(
                        "{} declares the entity {:?} again",
                        app.name, decl.entity
                    ));
                }
            }
        }
        let views: Vec<&CachedView> = apps.iter().flat_map(|app| app.views).collect();
        let mut seen = BTreeSet::new();
        for view in &views {
            if !seen.insert(view.namespace.to_string()) {
                problems.push(format!("namespace {} is declared twice", view.namespace));
            }
            for entity in std::iter::once(&view.shows).chain(view.embeds) {
                if !decls.contains_key(entity) {
                    problems.push(format!(
                        "{} names the undeclared entity {entity:?}",
                        view.namespace
                    ));
                }
            }
        }
        let mut scheduled = BTreeSet::new();
        for schedule in apps.iter().flat_map(|app| app.schedules) {
            if !decls.contains_key(&schedule.entity) {
                problems.push(format!(
                    "the undeclared entity {:?} is scheduled",
                    schedule.entity
                ));
            }
            if !scheduled.insert(schedule.entity) {
                problems.push(format!("{:?} is scheduled twice", schedule.entity));
            }
        }
        let rules = decls
            .values()
            .map(|decl| (decl.entity, derive_rule(decl, &views, &decls)))
            .collect();
        Catalog {
            apps: apps.to_vec(),
            rules,
            problems,
        }
    }

    /// No app: what a crate's own tests use when no other app refers to its data.
    pub fn empty() -> &'static Catalog {
        static EMPTY: LazyLock<Catalog> = LazyLock::new(|| Catalog::new(&[]));
        &EMPTY
    }

    /// Every column of every app that holds a term of this kind.
    pub fn references(&self, term: Term) -> Vec<TermRef> {
        self.apps
            .iter()
            .flat_map(|app| app.term_refs)
            .filter(|r| r.term == term)
            .copied()
            .collect()
    }

    /// What the declarations get wrong (an entity or namespace declared twice, a view naming
    /// an entity no app declares): the binary refuses to start on any, and a test fails first.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The transition of the scheduled entity stored as `name` in a task.
    pub fn transition(&self, name: &str) -> Option<TransitionFn> {
        self.apps
            .iter()
            .flat_map(|app| app.schedules)
            .find(|schedule| schedule.entity.name() == name)
            .map(|schedule| schedule.transition)
    }

    /// The entity stored as `name` in the journal, if an app declares it.
    pub fn entity(&self, name: &str) -> Option<Entity> {
        self.rules.keys().copied().find(|e| e.name() == name)
    }

    pub fn entities(&self) -> impl Iterator<Item = Entity> + '_ {
        self.rules.keys().copied()
    }

    /// The entity's derived rule (an undeclared one invalidates nothing, and
    /// [`Catalog::problems`] names it where a view uses it).
    pub fn rule(&self, entity: Entity) -> Option<&Rule> {
        self.rules.get(&entity)
    }

    /// Every cached view of every app.
    pub fn views(&self) -> impl Iterator<Item = &'static CachedView> + '_ {
        self.apps.iter().flat_map(|app| app.views)
    }

    /// Every namespace the apps cache, sorted: the cache dashboard lists these, and a key
    /// outside them is one no rule can reach.
    pub fn namespaces(&self) -> Vec<Namespace> {
        let mut all: Vec<Namespace> = self.views().map(|v| v.namespace.clone()).collect();
        all.sort_by_key(Namespace::to_string);
        all
    }

    /// The namespaces, keys and tags `change` invalidates.
    pub fn plan(&self, change: &crate::Change) -> Plan {
        let Some(rule) = self.rule(change.entity) else {
            return Plan::default();
        };
        let mut plan = Plan {
            namespaces: rule.namespaces.clone(),
            ..Plan::default()
        };
        for keys in &rule.per_id {
            plan.keys.extend(change.ids.iter().flat_map(|id| keys(*id)));
        }
        plan.tags.extend(rule.collections.iter().map(|c| c.tag()));
        if let Some(by_id) = rule.by_id {
            plan.tags.extend(change.ids.iter().map(|id| by_id.of(*id)));
        }
        if let Some(by_slug) = rule.by_slug {
            plan.tags.extend(change.slugs.iter().map(|s| by_slug.of(s)));
        }
        plan
    }
}

/// One entity's rule: the views that show it (whole, or per id) and those that embed it; its
/// own tags, and the collection tag of each embedding view's entity (a property page shows the
/// category's name, so a rename revalidates `properties`).
fn derive_rule(
    decl: &EntityDecl,
    views: &[&CachedView],
    decls: &BTreeMap<Entity, &EntityDecl>,
) -> Rule {
    let mut rule = Rule {
        by_id: decl.by_id,
        by_slug: decl.by_slug,
        collections: decl.all.into_iter().collect(),
        ..Rule::default()
    };
    for view in views {
        let embeds = view.embeds.contains(&decl.entity);
        match view.keys {
            Keys::ById(keys) if view.shows == decl.entity && !embeds => {
                rule.per_id.push(keys);
            }
            _ if view.shows == decl.entity || embeds => {
                rule.namespaces.push(view.namespace.clone());
            }
            _ => continue,
        }
        if embeds
            && let Some(all) = decls.get(&view.shows).and_then(|shown| shown.all)
            && !rule.collections.contains(&all)
        {
            rule.collections.push(all);
        }
    }
    rule
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;

    use sea_orm::{DatabaseTransaction, DbErr};
    use strata_cache::Namespace;

    use super::*;

    const POST: Entity = Entity::new("post");
    const PAGE: Entity = Entity::new("page");

    fn nothing(
        _: &DatabaseTransaction,
        _: i64,
    ) -> Pin<Box<dyn Future<Output = Result<Option<crate::Change>, DbErr>> + Send + '_>> {
        Box::pin(async { Ok(None) })
    }

    const fn declared(entity: Entity) -> EntityDecl {
        EntityDecl {
            entity,
            all: None,
            by_id: None,
            by_slug: None,
        }
    }

    static BLOG: AppData = AppData {
        name: "blog",
        entities: &[declared(POST)],
        views: &[CachedView::whole(
            Namespace::public("post", "list"),
            POST,
            &[PAGE],
        )],
        term_refs: &[],
        schedules: &[
            Schedule {
                entity: POST,
                transition: nothing,
            },
            Schedule {
                entity: PAGE,
                transition: nothing,
            },
        ],
    };
    static AGAIN: AppData = AppData {
        name: "again",
        entities: &[declared(POST)],
        views: &[],
        term_refs: &[],
        schedules: &[Schedule {
            entity: POST,
            transition: nothing,
        }],
    };

    #[test]
    fn inconsistent_declarations_are_named() {
        assert_eq!(
            Catalog::new(&[&BLOG, &AGAIN]).problems(),
            [
                "again declares the entity post again",
                "public:post:list names the undeclared entity page",
                "the undeclared entity page is scheduled",
                "post is scheduled twice",
            ]
        );
        let alone = Catalog::new(&[&AGAIN]);
        assert_eq!(alone.problems(), [] as [String; 0]);
        assert!(alone.transition("post").is_some());
        assert!(alone.transition("page").is_none());
    }
}
