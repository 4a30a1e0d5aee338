//! Staff roles and the signed-in user, as the gateway, the CLI (`user add --role`), the store and
//! the browser name them. A role's string form is defined here once.

use serde::{Deserialize, Serialize};

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Takes payments at the counter (POS) and looks up invoice status.
    Cashier,
    /// Everything: node, invoices, payments, webhooks, settings.
    Admin,
}

impl Role {
    /// Every role, most powerful first (the order help texts list them in).
    pub const ALL: [Role; 2] = [Role::Admin, Role::Cashier];

    /// The name used in the database and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Admin => "admin",
        }
    }

    /// The catalogue key of the role's name in the user's language.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Cashier => "staff.cashier",
            Role::Admin => "staff.admin",
        }
    }

    /// What the role may do, in a few words (for help texts).
    pub fn duties(self) -> &'static str {
        match self {
            Role::Cashier => "POS and invoice status",
            Role::Admin => "everything",
        }
    }

    /// Parses `admin` or `cashier` (exactly, as stored).
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// Whether this role includes everything `needed` may do.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }

    /// `admin or cashier`: every name, for messages.
    pub fn names() -> String {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        names.join(" or ")
    }

    /// `admin (everything) or cashier (POS and invoice status)`: every name with its duties.
    pub fn help() -> String {
        let names: Vec<String> = Role::ALL
            .iter()
            .map(|r| format!("{} ({})", r.as_str(), r.duties()))
            .collect();
        names.join(" or ")
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    /// Login name.
    pub username: String,
    /// Their role.
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_includes_cashier_but_not_the_reverse() {
        assert!(Role::Admin.allows(Role::Cashier));
        assert!(Role::Admin.allows(Role::Admin));
        assert!(Role::Cashier.allows(Role::Cashier));
        assert!(!Role::Cashier.allows(Role::Admin));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn every_role_round_trips_and_is_named_in_the_help() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_string(&role).unwrap_or_default(), format!("\"{role}\""));
        }
        assert_eq!(Role::names(), "admin or cashier");
        assert_eq!(Role::help(), "admin (everything) or cashier (POS and invoice status)");
    }
}
