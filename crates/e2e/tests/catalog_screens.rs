//! The catalog at the bedside through the real UI: each tube card lists its handling
//! instructions in words (ammonia and lactate on ice with their delivery times, the aerobic
//! culture bottle first, total bilirubin riding in the CMP's gold tube protected from light), and
//! the identify screen warns that capillary and paediatric collection is not supported for a
//! patient under 2 years old.

use anyhow::{ensure, Context, Result};
use chrono::{Days, Local};
use drawline_e2e::flow::{self, wait_for_count, ENTER};
use drawline_e2e::lab::Lab;
use drawline_e2e::Browser;

/// The demo ward round, which the demo tablet's collector works.
const WARD_ROUND: &str = "Ward 5 morning round";
const ADULT: &str = "MRN900101";
const ADULT_WRISTBAND: &str = "DL1|MRN900101|NORDBERG^INGRID|19610412";
const CHILD: &str = "MRN900102";

/// An adult with ammonia, lactate, blood cultures, a CMP and a total bilirubin, and a child
/// born `child_birth` with a CBC, on the demo ward round.
fn csv(child_birth: &str) -> String {
    format!(
        "order_id,mrn,family,given,birth_date,test,location\n\
         cat-nh3,{ADULT},NORDBERG,Ingrid,1961-04-12,NH3,Ward 5 bed 2\n\
         cat-lact,{ADULT},NORDBERG,Ingrid,1961-04-12,LACT,Ward 5 bed 2\n\
         cat-bcx,{ADULT},NORDBERG,Ingrid,1961-04-12,BCX,Ward 5 bed 2\n\
         cat-cmp,{ADULT},NORDBERG,Ingrid,1961-04-12,CMP,Ward 5 bed 2\n\
         cat-tbil,{ADULT},NORDBERG,Ingrid,1961-04-12,TBIL,Ward 5 bed 2\n\
         cat-cbc,{CHILD},OKAFOR,Ada,{child_birth},CBC,Ward 5 cot 4\n"
    )
}

/// Scrolls the element with this `data-testid` and index to the top of the window.
async fn scroll_to_card(browser: &Browser, index: u32) -> Result<()> {
    browser
        .client
        .execute(
            "document.querySelector(`[data-testid=\"tube-card\"][data-index=\"${arguments[0]}\"]`).scrollIntoView()",
            vec![index.into()],
        )
        .await?;
    Ok(())
}

/// The text of the tube card whose tests are `tests`.
fn card<'a>(cards: &'a [String], tests: &str) -> Result<&'a String> {
    cards
        .iter()
        .find(|c| c.contains(tests))
        .with_context(|| format!("no tube card for {tests}: {cards:#?}"))
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn tube_cards_show_handling_instructions_and_a_child_under_two_gets_the_paediatric_warning(
) -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let token = flow::device_token(&browser).await?;
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    let child_birth = Local::now()
        .date_naive()
        .checked_sub_days(Days::new(300))
        .context("a date 300 days ago")?
        .format("%Y-%m-%d")
        .to_string();
    let report = lab
        .import_csv(&supervisor, WARD_ROUND, &csv(&child_birth))
        .await?;
    ensure!(report["created"] == 6, "{report}");
    flow::prepare_round(&browser, drawline_e2e::PATIENCE).await?;

    // The child: the identify screen says Drawline does not do paediatric draws.
    browser.click(&format!("collect-{CHILD}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    let warning = browser.text_of("young-child-warning").await?;
    ensure!(
        warning.contains(
            "Capillary and paediatric collection is not supported by Drawline: follow the paediatric procedure"
        ),
        "{warning}"
    );
    browser
        .capture_both_sizes("60-identify-young-child")
        .await?;

    // The adult: no warning, and each tube card says what to do with the tube.
    flow::go(&browser, "/draws").await?;
    browser.click(&format!("collect-{ADULT}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    wait_for_count(&browser, "young-child-warning", 0).await?;
    browser
        .type_into("wristband-scan", &format!("{ADULT_WRISTBAND}{ENTER}"))
        .await?;
    browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    // Aerobic, anaerobic, gold (CMP + TBIL), green (NH3), grey (LACT).
    wait_for_count(&browser, "tube-card", 5).await?;
    let cards = browser.texts_of_all("tube-card").await?;
    ensure!(
        cards[0].contains("aerobic") && cards[0].contains("Fill this bottle first (bottle 1 of 2)"),
        "{}",
        cards[0]
    );
    ensure!(
        cards[1].contains("Fill this bottle after bottle 1 (bottle 2 of 2)"),
        "{}",
        cards[1]
    );
    let gold = card(&cards, "CMP, TBIL")?;
    ensure!(
        gold.contains("Protect from light") && gold.contains("foil"),
        "{gold}"
    );
    let ammonia = card(&cards, "NH3")?;
    ensure!(
        ammonia.contains("On ice") && ammonia.contains("Deliver within 30 min"),
        "{ammonia}"
    );
    let lactate = card(&cards, "LACT")?;
    ensure!(
        lactate.contains("On ice") && lactate.contains("Deliver within 15 min"),
        "{lactate}"
    );
    browser
        .capture_both_sizes("61-tubes-instructions-top")
        .await?;
    scroll_to_card(&browser, 3).await?;
    browser
        .capture_both_sizes("62-tubes-instructions-ice")
        .await?;
    browser.close().await
}
