//! The tube plan at the bedside, end to end: two blood-culture sets drawn from two venipunctures
//! at two sites that reach the lab with each site, and an exception that plans the rest again
//! with the discard tube a butterfly needs.

use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use drawline_e2e::flow::{self, ENTER};
use drawline_e2e::lab::Lab;
use drawline_e2e::{Browser, PATIENCE};
use serde_json::Value;
use uuid::Uuid;

const WARD_ROUND: &str = "Ward 5 morning round";
const OKAFOR: &str = "MRN900101";
const OKAFOR_WRISTBAND: &str = "DL1|MRN900101|OKAFOR^NNEKA|19800202";

/// Two blood-culture sets and a PT for one patient on the demo ward round.
const CULTURES_CSV: &str = "order_id,mrn,family,given,birth_date,test,location\n\
    okafor-bcx-1,MRN900101,OKAFOR,Nneka,1980-02-02,BCX,Ward 5 bed 9\n\
    okafor-bcx-2,MRN900101,OKAFOR,Nneka,1980-02-02,BCX,Ward 5 bed 9\n\
    okafor-pt,MRN900101,OKAFOR,Nneka,1980-02-02,PT,Ward 5 bed 9\n";

/// Imports the culture orders, opens the patient and identifies them by wristband; answers the
/// collection id.
async fn open_okafor(browser: &Browser, lab: &Lab) -> Result<(String, Uuid)> {
    let token = flow::device_token(browser).await?;
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    let report = lab
        .import_csv(&supervisor, WARD_ROUND, CULTURES_CSV)
        .await?;
    ensure!(report["created"] == 3, "{report}");
    flow::prepare_round(browser, PATIENCE).await?;
    browser.click(&format!("collect-{OKAFOR}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    browser
        .type_into("wristband-scan", &format!("{OKAFOR_WRISTBAND}{ENTER}"))
        .await?;
    let path = browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    let id = path
        .split('/')
        .find_map(|s| Uuid::parse_str(s).ok())
        .expect("the tubes address names the collection");
    Ok((supervisor, id))
}

/// Labels every drawn tube, finalizes and waits until the lab holds the collection; answers its
/// FHIR export there.
async fn label_finalize_and_receive(
    browser: &Browser,
    lab: &Lab,
    supervisor: &str,
    id: Uuid,
    labels: usize,
) -> Result<Value> {
    browser.click("go-label").await?;
    browser.wait_for_path(|p| p.ends_with("/label")).await?;
    browser
        .client
        .execute("window.print = () => {};", vec![])
        .await?;
    for i in 1..=labels {
        browser.click("print-label").await?;
        flow::wait_for_count(browser, "label-preview", i).await?;
    }
    browser.click("go-review").await?;
    browser.wait_for_path(|p| p.ends_with("/review")).await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;
    flow::sync_now(browser).await?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(d) = lab.supervisor_detail(supervisor, id).await {
            if !d.versions.is_empty() {
                return Ok(d.fhir);
            }
        }
        ensure!(Instant::now() < deadline, "the lab never received {id}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `(ServiceRequest the Specimen serves, body site code)` of each Specimen of an export.
fn specimen_sites(fhir: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fhir["entry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Specimen")
        .map(|r| {
            (
                r["request"][0]["reference"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                r["collection"]["bodySite"]["coding"][0]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn two_blood_culture_sets_come_from_two_sites_and_reach_the_lab_with_each_site() -> Result<()>
{
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let (supervisor, id) = open_okafor(&browser, &lab).await?;
    flow::prepare_draw(&browser, "LACF").await?;
    // Set 1 (both bottles), the PT, then set 2's two bottles: five tubes.
    flow::wait_for_count(&browser, "tube-card", 5).await?;
    let set2 = browser.text_of("culture-set-4").await?;
    ensure!(set2.contains("set 2"), "{set2}");
    for i in 1..=3 {
        browser.click(&format!("mark-drawn-{i}")).await?;
        browser.wait_for(&format!("drawn-at-{i}")).await?;
    }
    // Set 2 from the venipuncture of set 1 is refused, and from the same site too.
    browser.click("mark-drawn-4").await?;
    let refused = flow::wait_until_text(&browser, "tube-error-4", |t| t.contains("set 2")).await?;
    ensure!(refused.contains("its own venipuncture"), "{refused}");
    browser
        .capture_both_sizes("draw-plan-culture-set-refused")
        .await?;
    browser.click("new-venipuncture").await?;
    flow::begin_venipuncture(&browser, "LACF").await?;
    browser.click("mark-drawn-4").await?;
    let refused =
        flow::wait_until_text(&browser, "tube-error-4", |t| t.contains("another site")).await?;
    ensure!(refused.contains("Left antecubital fossa"), "{refused}");
    browser.click("new-venipuncture").await?;
    browser.wait_for("begin-venipuncture").await?;
    browser
        .capture_both_sizes("draw-plan-new-venipuncture")
        .await?;
    flow::begin_venipuncture(&browser, "RACF").await?;
    for i in 4..=5 {
        browser.click(&format!("mark-drawn-{i}")).await?;
        browser.wait_for(&format!("drawn-at-{i}")).await?;
    }
    let site = browser.text_of("drawn-site-5").await?;
    ensure!(site == "Right antecubital fossa", "{site}");

    let fhir = label_finalize_and_receive(&browser, &lab, &supervisor, id, 5).await?;
    let sites = specimen_sites(&fhir);
    let expect = |order: &str, code: &str| (format!("ServiceRequest/{order}"), code.to_owned());
    ensure!(
        sites
            == [
                expect("okafor-bcx-1", "LACF"),
                expect("okafor-bcx-1", "LACF"),
                expect("okafor-bcx-2", "RACF"),
                expect("okafor-bcx-2", "RACF"),
                expect("okafor-pt", "LACF"),
            ],
        "{sites:?}"
    );
    drawline_e2e::lab::fhir_validate(&[("culture-sets", &fhir)])?;
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn cultures_not_collected_with_a_butterfly_plan_a_discard_tube_before_the_citrate(
) -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let (supervisor, id) = open_okafor(&browser, &lab).await?;
    browser.wait_for("venipuncture").await?;
    // A butterfly, and the culture bottles go first: no discard tube yet.
    browser.click("site-RMFA").await?;
    browser.click("device-winged").await?;
    browser.click("begin-venipuncture").await?;
    let now = browser.text_of("venipuncture-current").await?;
    ensure!(now.contains("butterfly"), "{now}");
    flow::wait_for_count(&browser, "tube-card", 5).await?;

    // Neither culture set can be taken: both marked not collected, one order at a time.
    for order in ["okafor-bcx-1", "okafor-bcx-2"] {
        browser.click("go-exceptions").await?;
        browser
            .wait_for_path(|p| p.ends_with("/exceptions"))
            .await?;
        browser.choose("exception-scope", order).await?;
        browser.click("reason-unable-to-collect").await?;
        browser.click("exception-submit").await?;
        browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    }
    // The citrate tube is first now: a discard tube clears the butterfly's tubing before it.
    flow::wait_for_count(&browser, "tube-card", 2).await?;
    let caps = browser.texts_of_all("cap-words").await?;
    ensure!(
        caps.iter().all(|c| c.eq_ignore_ascii_case("light blue")) && caps.len() == 2,
        "{caps:?}"
    );
    let cards = browser.texts_of_all("tube-card").await?;
    ensure!(cards[0].contains("Discard tube"), "{cards:?}");
    browser
        .capture_both_sizes("draw-plan-replanned-discard")
        .await?;
    let first = browser
        .element("tube-card")
        .await?
        .attr("data-index")
        .await?
        .unwrap_or_default();
    browser.click(&format!("mark-drawn-{first}")).await?;
    browser.wait_for(&format!("drawn-at-{first}")).await?;
    let second = browser.texts_of_all("tube-card").await?;
    ensure!(second.len() == 2, "{second:?}");
    // The PT tube keeps its number (3) from the first plan.
    browser.click("mark-drawn-3").await?;
    browser.wait_for("drawn-at-3").await?;
    let fhir = label_finalize_and_receive(&browser, &lab, &supervisor, id, 1).await?;
    let tasks: Vec<&Value> = fhir["entry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Task")
        .collect();
    let based_on: Vec<&str> = tasks
        .iter()
        .filter_map(|t| t["basedOn"][0]["reference"].as_str())
        .collect();
    ensure!(
        based_on == ["ServiceRequest/okafor-bcx-1", "ServiceRequest/okafor-bcx-2"],
        "{based_on:?}"
    );
    browser.close().await
}
