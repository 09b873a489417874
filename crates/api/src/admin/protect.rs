//! Deleting a row that other rows still use. Django's `on_delete=PROTECT` refuses it (DRF then
//! answers an error); here it is a 409 saying how many rows use it, unless the `DELETE` says
//! what to do with them: a resource declares which instruction it accepts ([`InUse`]), the
//! generic handler reads it from the query ([`OnDelete`]) and documents it, and the resource's
//! [`super::AdminResource::release`] applies it in the deletion's transaction.

use crate::ApiResult;
use crate::error::ApiError;
use crate::query::UrlQuery;

/// Which instruction `DELETE {id}/` accepts for a row other rows still use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InUse {
    /// Nothing refers to this resource's rows: there is nothing to ask.
    Unused,
    /// `?reassign_to=<id>`: the rows using it move to that row of the same resource.
    Reassign,
    /// `?force=true`: the rows using it let go of it (their links are removed).
    Force,
}

impl InUse {
    /// The query parameter and its documentation, if this resource takes one.
    pub fn parameter(self) -> Option<(&'static str, &'static str)> {
        match self {
            InUse::Unused => None,
            InUse::Reassign => Some((
                "reassign_to",
                "Required to delete a row still in use (otherwise a 409 says how many rows use \
                 it): the id of another row of the same kind to move them to, in the same \
                 transaction.",
            )),
            InUse::Force => Some((
                "force",
                "`true` deletes a row still in use and removes it from the rows that use it; \
                 without it such a delete is a 409 saying how many rows use it.",
            )),
        }
    }
}

/// The instruction a `DELETE {id}/` came with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnDelete {
    /// None: a row in use is refused.
    #[default]
    Protect,
    /// Move what uses the row to this other row.
    ReassignTo(i64),
    /// Remove the row from what uses it.
    Detach,
}

impl OnDelete {
    /// Reads the parameter `in_use` names (others are ignored, as DRF ignores unknown query
    /// parameters). A value that is not an id or a boolean is a 400 on the parameter.
    pub fn from_query(in_use: InUse, url: &UrlQuery) -> ApiResult<Self> {
        let Some((name, _)) = in_use.parameter() else {
            return Ok(OnDelete::Protect);
        };
        let value = match url.get(name).map(str::trim) {
            None | Some("") => return Ok(OnDelete::Protect),
            Some(value) => value,
        };
        match in_use {
            InUse::Reassign => match value.parse::<i64>() {
                Ok(id) if id >= 1 => Ok(OnDelete::ReassignTo(id)),
                _ => Err(ApiError::field(name, "A valid integer is required.")),
            },
            // DRF's `BooleanField` spellings.
            _ => match value.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(OnDelete::Detach),
                "false" | "0" | "no" | "off" => Ok(OnDelete::Protect),
                _ => Err(ApiError::field(name, "Must be a valid boolean.")),
            },
        }
    }
}

/// "1 property" / "260 properties".
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn read(in_use: InUse, query: &str) -> ApiResult<OnDelete> {
        let params = query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        OnDelete::from_query(in_use, &UrlQuery::new("http://x/", params))
    }

    #[test]
    fn each_resource_reads_only_its_own_parameter() {
        assert_eq!(
            read(InUse::Reassign, "reassign_to=4").unwrap(),
            OnDelete::ReassignTo(4)
        );
        assert_eq!(
            read(InUse::Reassign, "force=true").unwrap(),
            OnDelete::Protect
        );
        assert_eq!(read(InUse::Force, "force=true").unwrap(), OnDelete::Detach);
        assert_eq!(read(InUse::Force, "force=0").unwrap(), OnDelete::Protect);
        assert_eq!(
            read(InUse::Unused, "reassign_to=x").unwrap(),
            OnDelete::Protect
        );
    }

    #[test]
    fn bad_values_are_a_400_on_the_parameter() {
        for (in_use, query) in [
            (InUse::Reassign, "reassign_to=0"),
            (InUse::Reassign, "reassign_to=abc"),
            (InUse::Force, "force=maybe"),
        ] {
            assert!(
                matches!(read(in_use, query), Err(ApiError::Invalid(_))),
                "{query}"
            );
        }
    }
}
