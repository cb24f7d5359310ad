//! Draws by time through the real UI: a draw takes only the orders due now (a trough due in
//! four hours stays on the draw list with its time); a trough is drawn in the 30 minutes before
//! its dose with the last dose recorded, and a trough past its dose only with a reason, which
//! the lab receives.

use anyhow::{ensure, Context, Result};
use chrono::{DateTime, Duration, Local, Utc};
use drawline_domain::collection::Due;
use drawline_domain::SiteConfig;
use drawline_e2e::flow::{self, wait_for_count, ENTER};
use drawline_e2e::lab::Lab;
use drawline_e2e::{Browser, PATIENCE};

/// The demo ward round.
const WARD_ROUND: &str = "Ward 5 morning round";

/// `HH:MM` of an instant on this machine's clock (the browser's time zone too).
fn local_hm(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%H:%M").to_string()
}

/// As the draw list says when a later window opens: `HH:MM`, `HH:MM tomorrow` after midnight.
fn local_when(t: DateTime<Utc>) -> String {
    let days = (t.with_timezone(&Local).date_naive() - Local::now().date_naive()).num_days();
    match days {
        0 => local_hm(t),
        1 => format!("{} tomorrow", local_hm(t)),
        _ => t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// Whole seconds, as an RFC 3339 due time.
fn due_in(minutes: i64) -> DateTime<Utc> {
    let t = Utc::now() + Duration::minutes(minutes);
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Imports `csv` into the ward round as the supervisor and downloads the round on the tablet.
async fn import_and_prepare(browser: &Browser, lab: &Lab, token: &str, csv: &str) -> Result<()> {
    let supervisor = lab.sign_in(token, "sam", "9876").await?;
    let report = lab.import_csv(&supervisor, WARD_ROUND, csv).await?;
    let rows = csv.lines().count() as u64 - 1;
    ensure!(report["created"].as_u64() == Some(rows), "{report}");
    flow::prepare_round(browser, PATIENCE).await?;
    Ok(())
}

/// Scrolls the patient card of `mrn` into view, for a screenshot.
async fn scroll_to_patient(browser: &Browser, mrn: &str) -> Result<()> {
    browser
        .client
        .execute(
            "document.querySelector(`[data-mrn=\"${arguments[0]}\"]`).scrollIntoView({block: 'center'})",
            vec![mrn.into()],
        )
        .await?;
    Ok(())
}

/// Opens `mrn`'s collection from the draw list and scans `wristband`, up to the tubes screen
/// with venipuncture 1 begun.
async fn collect(browser: &Browser, mrn: &str, wristband: &str) -> Result<()> {
    browser.click(&format!("collect-{mrn}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    browser
        .type_into("wristband-scan", &format!("{wristband}{ENTER}"))
        .await?;
    browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    flow::prepare_draw(browser, "RACF").await?;
    Ok(())
}

/// From the tubes screen with every tube drawn: labels, reviews, finalizes, back to the list.
async fn finish(browser: &Browser, tubes: usize) -> Result<()> {
    flow::label_and_review(browser, tubes).await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;
    browser.click("back-to-list").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_stat_now_is_drawn_alone_and_a_trough_due_in_four_hours_stays_on_the_list() -> Result<()>
{
    const MRN: &str = "MRN900101";
    const WRISTBAND: &str = "DL1|MRN900101|VARGA^TESSA|19600101";
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let token = flow::device_token(&browser).await?;
    let trough_due = due_in(4 * 60);
    let csv = format!(
        "order_id,mrn,family,given,birth_date,test,priority,due_at,location\n\
         tv-trop,{MRN},VARGA,Tessa,1960-01-01,TROP,stat,,Ward 5 room 14\n\
         tv-trough,{MRN},VARGA,Tessa,1960-01-01,VANCT,routine,{},Ward 5 room 14\n",
        trough_due.to_rfc3339()
    );
    import_and_prepare(&browser, &lab, &token, &csv).await?;

    // The draw list: the patient under STAT, the troponin due now, the trough later with its time.
    let opens = local_when(trough_due - Duration::minutes(30));
    let later = format!(
        "VANCT Vancomycin trough due {}, window opens {opens}",
        local_when(trough_due)
    );
    let stat_section = browser.text_of("section-stat").await?;
    ensure!(stat_section.contains("VARGA, Tessa"), "{stat_section}");
    let card = browser.patient_card_text(MRN).await?;
    ensure!(card.contains("TROP") && card.contains(&later), "{card}");
    let listed = browser.texts_of_all("later-order").await?;
    ensure!(listed.contains(&later), "{listed:?}");
    scroll_to_patient(&browser, MRN).await?;
    browser
        .capture_both_sizes("40-draw-list-trough-later")
        .await?;

    // The draw plans the troponin's tube only.
    collect(&browser, MRN, WRISTBAND).await?;
    wait_for_count(&browser, "tube-card", 1).await?;
    let tests = browser.texts_of_all("tube-tests").await?;
    ensure!(tests == ["TROP"], "{tests:?}");
    browser.click("mark-drawn-1").await?;
    browser.wait_for("drawn-at-1").await?;
    finish(&browser, 1).await?;

    // Back on the list the trough is still there with its time; nothing to draw before it opens.
    let card = browser.patient_card_text(MRN).await?;
    ensure!(
        card.contains(&later) && !card.contains("Collected"),
        "{card}"
    );
    let button = browser.element(&format!("collect-{MRN}")).await?;
    ensure!(!button.is_enabled().await?, "nothing is due yet");
    ensure!(
        browser.text_of(&format!("collect-{MRN}")).await? == format!("Nothing due until {opens}")
    );
    let later_section = browser.text_of("section-later").await?;
    ensure!(later_section.contains("VARGA, Tessa"), "{later_section}");
    scroll_to_patient(&browser, MRN).await?;
    browser
        .capture_both_sizes("41-draw-list-after-stat")
        .await?;

    // The trough is due once its window opens, by the rule the list uses.
    let worklist = lab.worklist(&token).await?;
    let trough = worklist
        .orders
        .iter()
        .find(|o| o.order.id.as_str() == "tv-trough")
        .context("the trough is still on the worklist")?;
    let site = SiteConfig::default_site();
    ensure!(!Due::of(&trough.order, &site, Utc::now()).is_due());
    ensure!(Due::of(&trough.order, &site, trough_due - Duration::minutes(30)).is_due());

    // A new order due now: the patient can be drawn again, and the trough still stays out.
    let csv = format!(
        "order_id,mrn,family,given,birth_date,test,priority,location\n\
         tv-cbc,{MRN},VARGA,Tessa,1960-01-01,CBC,routine,Ward 5 room 14\n"
    );
    import_and_prepare(&browser, &lab, &token, &csv).await?;
    collect(&browser, MRN, WRISTBAND).await?;
    wait_for_count(&browser, "tube-card", 1).await?;
    let tests = browser.texts_of_all("tube-tests").await?;
    ensure!(tests == ["CBC"], "{tests:?}");
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_trough_is_drawn_before_its_dose_with_the_last_dose_and_after_it_only_with_a_reason(
) -> Result<()> {
    const SOON: &str = "MRN900201";
    const SOON_WRISTBAND: &str = "DL1|MRN900201|HOLM^ASTRID|19510203";
    const PAST: &str = "MRN900202";
    const PAST_WRISTBAND: &str = "DL1|MRN900202|BAKER^THOMAS|19480708";
    const REASON: &str = "dose given 20 min late by the ward";
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let token = flow::device_token(&browser).await?;
    let (soon_due, past_due) = (due_in(10), due_in(-20));
    let csv = format!(
        "order_id,mrn,family,given,birth_date,test,priority,due_at,location\n\
         tw-soon,{SOON},HOLM,Astrid,1951-02-03,VANCT,routine,{},Ward 5 room 15\n\
         tw-past,{PAST},BAKER,Thomas,1948-07-08,VANCT,routine,{},Ward 5 room 16\n",
        soon_due.to_rfc3339(),
        past_due.to_rfc3339()
    );
    import_and_prepare(&browser, &lab, &token, &csv).await?;
    let section = browser.text_of("section-timed-now").await?;
    ensure!(
        section.contains("HOLM, Astrid") && section.contains("BAKER, Thomas"),
        "{section}"
    );
    let card = browser.patient_card_text(PAST).await?;
    ensure!(card.contains("overdue"), "{card}");
    scroll_to_patient(&browser, SOON).await?;
    browser
        .capture_both_sizes("44-draw-list-troughs-due-now")
        .await?;

    // Due in 10 minutes: inside its window. The card says the window in words, and "Drawn"
    // waits for the last dose.
    collect(&browser, SOON, SOON_WRISTBAND).await?;
    let words = browser.text_of("tube-timing").await?;
    let expected = format!(
        "TROUGH: draw {}\u{2013}{}, before the {} dose",
        local_hm(soon_due - Duration::minutes(30)),
        local_hm(soon_due),
        local_hm(soon_due)
    );
    ensure!(words == expected, "{words} / {expected}");
    ensure!(!browser.element("mark-drawn-1").await?.is_enabled().await?);
    browser
        .capture_both_sizes("42-tubes-trough-last-dose")
        .await?;
    let dose = (Utc::now() - Duration::hours(12)).with_timezone(&Local);
    browser
        .type_into("last-dose-value-1", &dose.format("%H:%M").to_string())
        .await?;
    browser.click("last-dose-save-1").await?;
    let recorded = browser.text_of("last-dose-at-1").await?;
    ensure!(
        recorded == format!("Last dose given {}", dose.format("%Y-%m-%d %H:%M")),
        "{recorded}"
    );
    browser.click("mark-drawn-1").await?;
    browser.wait_for("drawn-at-1").await?;
    ensure!(browser.texts_of_all("window-question").await?.is_empty());
    finish(&browser, 1).await?;

    // Its dose 20 minutes past: refused without a reason, drawn with one.
    collect(&browser, PAST, PAST_WRISTBAND).await?;
    browser
        .type_into("last-dose-value-1", &dose.format("%H:%M").to_string())
        .await?;
    browser.click("last-dose-save-1").await?;
    browser.wait_for("last-dose-at-1").await?;
    browser.click("mark-drawn-1").await?;
    let question = browser.text_of("window-question").await?;
    ensure!(
        question.contains("TROUGH is 2") && question.contains("after its target time"),
        "{question}"
    );
    ensure!(
        !browser
            .element("window-confirm")
            .await?
            .is_enabled()
            .await?
    );
    ensure!(browser.texts_of_all("drawn-at-1").await?.is_empty());
    browser
        .capture_both_sizes("43-tubes-trough-past-dose")
        .await?;
    browser.type_into("window-reason", REASON).await?;
    browser.click("window-confirm").await?;
    browser.wait_for("drawn-at-1").await?;
    finish(&browser, 1).await?;
    flow::wait_for_waiting(&browser, 0).await?;

    // The lab holds both, the late one with its reason and both with their last dose.
    let mut reasons = Vec::new();
    for c in lab.collections(&token).await? {
        for v in lab.versions(&token, c.id).await? {
            let tube = &v.body["record"]["tubes"][0];
            ensure!(tube["last_dose"].is_string(), "{tube}");
            if let Some(w) = tube.get("window_override").filter(|w| !w.is_null()) {
                ensure!(w["after_minutes"] == 0 && w["before_minutes"] == 30, "{w}");
                reasons.push(w["reason"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    ensure!(reasons == [REASON], "{reasons:?}");
    browser.close().await
}
