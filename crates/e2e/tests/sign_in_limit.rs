//! Locked out on the tablet: wrong PINs through the real sign-in form until the lab says wait, the countdown live, the form kept, and a supervisor's unlock.

use anyhow::{ensure, Result};
use drawline_e2e::flow;
use drawline_e2e::lab::Lab;
use drawline_e2e::{Browser, Server};

/// The value the sign-in form's input with this id holds now.
async fn input_value(browser: &Browser, id: &str) -> Result<String> {
    let value = browser
        .client
        .execute(
            "return document.getElementById(arguments[0]).value;",
            vec![serde_json::Value::String(id.to_owned())],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn five_wrong_pins_show_a_live_countdown_until_a_supervisor_unlocks() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&server.base).await?;
    browser.wait_for_path(|p| p == "/enroll").await?;
    browser
        .type_into("enroll-code", server.demo_code()?)
        .await?;
    browser.click("enroll-submit").await?;
    browser.wait_for_path(|p| p == "/sign-in").await?;

    // The PIN stays in its field after each refusal, so pressing Sign in again resends it: the
    // sixth press (after five wrong PINs) is the first the lab refuses without checking.
    browser.type_into("username", "amara").await?;
    browser.type_into("pin", "0000").await?;
    let mut presses = 0;
    while browser.texts_of_all("sign-in-wait").await?.is_empty() {
        ensure!(presses < 10, "no wait after {presses} wrong PINs");
        browser.click("sign-in-submit").await?;
        presses += 1;
        // Wait for the answer: the button is enabled again when the request is over.
        flow::wait_until_text(&browser, "sign-in-submit", |t| t == "Sign in").await?;
    }
    ensure!(
        presses >= 6,
        "the lab checks five wrong PINs before it says wait ({presses})"
    );

    let first = browser.text_of("sign-in-wait").await?;
    ensure!(
        first.starts_with("Too many wrong PINs for amara. Try again in 1")
            && first.contains("(at ")
            && first.ends_with("or ask a supervisor to unlock."),
        "{first}"
    );
    ensure!(
        browser.texts_of_all("sign-in-error").await?.is_empty(),
        "the wait is shown once, by the countdown"
    );
    // It counts down by itself.
    let later = flow::wait_until_text(&browser, "sign-in-wait", |t| t != first).await?;
    ensure!(
        later.starts_with("Too many wrong PINs for amara."),
        "{later}"
    );
    // Nothing typed was lost.
    ensure!(input_value(&browser, "username").await? == "amara");
    ensure!(input_value(&browser, "pin").await? == "0000");
    browser.capture_both_sizes("sign-in-locked").await?;

    // A supervisor unlocks amara; the right PIN then signs her in on the tablet.
    let lab = Lab::new(&server.base);
    let device = flow::device_token(&browser).await?;
    let supervisor = lab.sign_in(&device, "sam", "9876").await?;
    let unlock = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/supervisor/users/amara/unlock",
            server.base
        ))
        .bearer_auth(&supervisor)
        .send()
        .await?;
    ensure!(unlock.status() == 204, "unlock: {}", unlock.status());
    let pin = browser.element("pin").await?;
    pin.clear().await?;
    pin.send_keys("1234").await?;
    browser.click("sign-in-submit").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    Ok(())
}
