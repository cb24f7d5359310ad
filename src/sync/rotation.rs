//! Device token rotation as pure decisions, tested natively: whether to take the lab's new token.
//!
//! The lab keeps the old token working until the new one is first used, so the tablet is never
//! locked out: it stores the new token before it uses it, and a lost answer only means asking
//! again at the next pull that says `rotate_token`.

use drawline_domain::api::EnrollResponse;

/// Prefix of every device token the lab issues.
const DEVICE_TOKEN_PREFIX: &str = "dld_";

/// What to do with the lab's answer to `POST /devices/current/token`.
#[derive(Debug, Clone)]
pub enum Rotated {
    /// Store this enrollment in place of the current one, then use its token.
    Replace(EnrollResponse),
    /// Keep the current token (it still works); why the answer was not taken.
    Keep(String),
}

/// Whether the answer may replace the stored enrollment: the same device, a device token, and
/// not the token already held. Anything else is kept out of the store, so a confused answer can
/// never leave the tablet holding a token that is not its own.
pub fn accept(current: &EnrollResponse, answer: EnrollResponse) -> Rotated {
    if answer.device_id != current.device_id {
        return Rotated::Keep("the lab answered with another device's token".into());
    }
    if !answer.token.starts_with(DEVICE_TOKEN_PREFIX)
        || answer.token.len() <= DEVICE_TOKEN_PREFIX.len()
    {
        return Rotated::Keep("the lab's answer is not a device token".into());
    }
    if answer.token == current.token {
        return Rotated::Keep("the lab answered with the token already held".into());
    }
    Rotated::Replace(EnrollResponse {
        lab_key: None,
        // The name is the lab's; a renamed device shows its new name.
        device_name: answer.device_name,
        ..answer
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn enrollment(id: Uuid, token: &str) -> EnrollResponse {
        EnrollResponse {
            lab_key: None,
            device_id: id,
            device_name: "Ward 5 tablet".into(),
            token: token.into(),
        }
    }

    #[test]
    fn a_new_token_for_this_device_replaces_the_stored_one() {
        let id = Uuid::new_v4();
        let answer = enrollment(id, "dld_new");
        match accept(&enrollment(id, "dld_old"), answer) {
            Rotated::Replace(new) => {
                assert_eq!((new.device_id, new.token.as_str()), (id, "dld_new"))
            }
            Rotated::Keep(why) => panic!("kept the old token: {why}"),
        }
    }

    #[test]
    fn another_devices_token_a_session_token_or_the_same_token_is_never_stored() {
        let id = Uuid::new_v4();
        let current = enrollment(id, "dld_old");
        for answer in [
            enrollment(Uuid::new_v4(), "dld_new"),
            enrollment(id, "dls_session"),
            enrollment(id, "dld_"),
            enrollment(id, "dld_old"),
        ] {
            assert!(
                matches!(accept(&current, answer.clone()), Rotated::Keep(_)),
                "{answer:?}"
            );
        }
    }
}
