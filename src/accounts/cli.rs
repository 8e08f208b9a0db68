//! Account administration from the command line: `keepsake user create` bootstraps the first
//! admin of a fresh install (and any staff or reviewer) without going through the API. The
//! database must exist and be migrated (`keepsake migrate`): an account created anywhere else
//! would be one no service sees.

use std::io::BufRead;

use crate::audit::Actor;
use crate::config::Settings;
use crate::db::{self, users::UserRecord};
use crate::domain::account::Role;

/// Read the password from the first line of `input` (the trailing newline is not part of it).
pub fn read_password(input: impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    let mut input = input;
    input.read_line(&mut line)?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned())
}

pub async fn create_user(
    settings: &Settings,
    email: &str,
    roles: &[Role],
    password_text: String,
) -> Result<UserRecord, Box<dyn std::error::Error>> {
    if roles.is_empty() {
        return Err("give at least one --role".into());
    }
    // Refused before any database is opened, as the API refuses them before any work.
    super::parse_email(email)?;
    super::check_password(&password_text)?;
    let conn = db::existing::connect_existing(&settings.effective_database_url()).await?;
    let account = super::NewAccount {
        email: email.to_owned(),
        password: password_text,
        roles: roles.to_vec(),
    };
    let user = super::create(&conn, &Actor::system("cli"), account, None).await?;
    conn.close().await.ok();
    Ok(user)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_password_is_the_first_line_without_its_newline() {
        assert_eq!(
            super::read_password(&b"  spaced out pass \r\nnext"[..]).unwrap(),
            "  spaced out pass "
        );
        assert_eq!(
            super::read_password(&b"no newline"[..]).unwrap(),
            "no newline"
        );
    }
}
