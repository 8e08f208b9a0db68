//! Default consent texts, so a fresh install can take a consent before anyone has written one.
//!
//! For the default jurisdiction (CN), every party that can sign — the requester, a close
//! relative, whoever records the subject's documented wishes, a living subject, the actor — gets
//! a text in zh-CN and in en, as version 1, exactly as an admin's publication would store it:
//! the body's SHA-256 (hex, of its exact UTF-8 bytes) beside it and a `consent_text.published`
//! audit event (actor `system:migration`). A (party, language) that already has a text is left
//! alone: the studio's own words always win.
//!
//! The texts are a starting point, in plain words for a grieving family: what of the person is
//! used (face, voice), what for (training, the avatar, a live call, sharing within the family,
//! follow-ups), how the likeness may be used (privately; never in public or commercially unless
//! explicitly granted), what is recorded, and how to withdraw or have everything erased. They
//! are not legal advice. The new `notes` column says so on each of them — the studio's lawyer
//! should review them and an admin publish the studio's own version, which then becomes the
//! current one. Texts published later have no notes unless the publisher adds them.
//!
//! `published_by` is the nil id: no account published these; the software shipped them.

use sea_orm_migration::sea_orm::entity::prelude::{ChronoUtc, Uuid};
use sea_orm_migration::{prelude::*, schema::*};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsentTexts {
    Table,
    Id,
    Jurisdiction,
    Party,
    Language,
    Version,
    Body,
    Sha256,
    PublishedAt,
    PublishedBy,
    Notes,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    Actor,
    ActorRoles,
    Outcome,
    Action,
    TargetType,
    TargetId,
    RequestId,
    Detail,
}

const JURISDICTION: &str = "CN";
const PARTIES: [&str; 5] = [
    "requester",
    "relative",
    "subject_wishes",
    "living_subject",
    "actor",
];
const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

const NOTE_EN: &str = "Keepsake's default text, shipped so that consent can be taken from the \
first day. It is a starting point written in plain words for families, not legal advice: the \
studio's lawyer should review it, and an admin should publish the studio's own version, which \
then becomes the current one.";

const NOTE_ZH: &str = "Keepsake 随软件提供的默认文本，使工作室从第一天起即可征得同意。它是用平实语言为\
家属写的起点，并非法律意见：请工作室的律师审阅，再由管理员发布工作室自己的版本（发布后即成为当前版本）。";

/// The text for `party` in `language`.
fn body(party: &str, language: &str) -> String {
    match language {
        "zh-CN" => zh(party),
        _ => en(party),
    }
}

fn en(party: &str) -> String {
    let (title, opening) = match party {
        "requester" => (
            "Consent of the person ordering a memorial likeness",
            "You are asking the studio to make a digital likeness of someone close to you (or, \
for a living twin, of yourself) from their photos, voice recordings and videos. Before anything \
is done, please read what you are agreeing to. Take your time, and ask the studio anything you \
want to know before you sign.",
        ),
        "relative" => (
            "Consent of a close relative",
            "A member of your family has asked the studio to make a digital likeness of someone \
close to you who has died, from their photos, voice recordings and videos. The law asks for the \
agreement of the spouse, children or parents of the person who died, so the studio asks for \
yours. You are free to say no. Please read what you would be agreeing to, and ask the studio \
anything you want to know before you sign.",
        ),
        "subject_wishes" => (
            "The documented wishes of the person who died",
            "This records what the person the likeness would be of wished, as they wrote it down \
themselves (for example in a will or a letter), which you give as evidence. Their own wishes \
come before anyone else's: if they did not want a likeness made, the studio will not make one, \
whatever anyone else agrees to. Record here what their document says about each of the uses \
below.",
        ),
        "living_subject" => (
            "Consent of the person the likeness is of",
            "A digital likeness is to be made of you, from your photos, voice recordings and \
videos. Nothing is done without your own consent, and you are free to say no. Please read what \
you would be agreeing to, and ask the studio anything you want to know before you sign.",
        ),
        _ => return en_actor(),
    };
    let whose = if party == "living_subject" {
        "your"
    } else {
        "their"
    };
    format!(
        "{title}\n\n{opening}\n\n\
What is used\n\
- The face: {whose} face, from the photos and videos sent to the studio.\n\
- The voice: {whose} voice, from the voice recordings and videos sent to the studio.\n\
You choose which of these you agree to. Anything you do not choose is not used.\n\n\
What it is used for\n\
- Training: building a computer model of {whose} face and voice from what was sent.\n\
- The avatar: a talking likeness (software or video) made with that model.\n\
- A live call: a video call in which an actor appears with {whose} face and voice in real time \
(only for orders of that kind).\n\
- Sharing within the family: letting the family members you name see the likeness.\n\
- Follow-ups: further work ordered later, such as more training or a new clip. A follow-up that \
needs more than you agree to here asks for consent again first.\n\
You choose which of these you agree to.\n\n\
How the likeness may be used\n\
Only for private remembrance, and only in the ways you choose: private viewing, interactive \
chat, a live video call, sharing within the family. It is never shown in public, used in \
advertising, used to train other models, or used for any commercial purpose unless you \
explicitly grant that here. Everything the studio makes is labelled, visibly and in its \
metadata, as generated by AI.\n\n\
What is recorded\n\
With your answer the studio records the version of this text, what you agreed to, when, and the \
network address and browser you signed from, together with any documents you give as evidence \
(for example a death certificate or proof of your relationship). Consents and the studio's \
decisions are kept in a record that cannot be changed without it showing.\n\n\
Changing your mind\n\
You can withdraw this consent at any time. Work stops at once, and the order's photos, \
recordings, videos and personal details are destroyed within 30 days; a certificate of \
destruction says what was deleted and when. You can also ask at any time for everything to be \
erased, and ask to see, copy or correct what the studio holds.\n\n\
How long things are kept\n\
The photos, recordings and videos sent for the order are deleted a set time after delivery, \
unless the customer chooses to keep them for follow-ups. The record of consents and decisions \
is kept for at least three years, as the law requires, without personal details once the order \
is erased.\n"
    )
}

fn en_actor() -> String {
    "Consent of the actor in live video calls\n\n\
You are the actor who will appear in live video calls wearing the likeness of a person who has \
died, through real-time face swap. This processes your own face and voice, so the studio asks \
for your consent. You are free to say no. Please read what you would be agreeing to, and ask the \
studio anything you want to know before you sign.\n\n\
What is used\n\
- The face: your face, captured by the camera during the live calls.\n\
- The voice: your voice, during the live calls.\n\
You choose which of these you agree to. Anything you do not choose is not used.\n\n\
What it is used for\n\
- A live call: the video calls of this order, in which your face and voice are changed in real \
time to those of the likeness. Training: only the adjustment the face swap needs for these \
calls.\n\
Nothing else: your face and voice are not used for an avatar, not shared, and not used for \
follow-ups unless you give fresh consent for them.\n\n\
How it may be used\n\
Only in the live video calls of this order, held privately with the family who booked them. The calls are \
never shown in public, recorded for advertising, or used for any commercial purpose unless you \
explicitly grant that here. The family is told, on screen, that what they see is generated by \
AI.\n\n\
What is recorded\n\
With your answer the studio records the version of this text, what you agreed to, when, and the \
network address and browser you signed from. Each call is logged afterwards: when it was, how \
long it lasted, and whether the AI label was shown.\n\n\
Changing your mind\n\
You can withdraw this consent at any time. No further call is held with you, and what the \
studio holds of your face and voice for this order is destroyed. You can also ask at any time \
for it to be erased, and ask to see, copy or correct what the studio holds about you.\n\n\
How long things are kept\n\
The record of consents and of the calls is kept for at least three years, as the law requires, \
without personal details once the order is erased.\n"
        .to_owned()
}

fn zh(party: &str) -> String {
    let (title, opening) = match party {
        "requester" => (
            "订购纪念数字形象者的同意书",
            "您正请工作室根据一位亲人（如为“数字分身”，则是您本人）的照片、录音和视频，制作其数字形象。\
在开始任何工作之前，请您阅读您将同意的内容。请不必着急；签署之前，您可以向工作室询问任何问题。",
        ),
        "relative" => (
            "近亲属的同意书",
            "您的一位家人请工作室根据一位已故亲人的照片、录音和视频，制作其数字形象。法律要求征得逝者的配偶、\
子女或父母的同意，因此工作室请您表态。您完全可以拒绝。请阅读您将同意的内容；签署之前，您可以向工作室询问任何问题。",
        ),
        "subject_wishes" => (
            "逝者生前书面意愿的记录",
            "本文记录数字形象所涉及的这位逝者生前亲自写下的意愿（例如遗嘱或书信），该文件由您作为证明材料提交。\
逝者本人的意愿优先于任何其他人：如果逝者不希望被制作数字形象，无论其他人是否同意，工作室都不会制作。\
请在此如实记录该文件对下列每一项用途的表述。",
        ),
        "living_subject" => (
            "数字形象本人的同意书",
            "工作室将根据您的照片、录音和视频制作您的数字形象。未经您本人同意，工作室不会做任何事；您完全可以拒绝。\
请阅读您将同意的内容；签署之前，您可以向工作室询问任何问题。",
        ),
        _ => return zh_actor(),
    };
    let whose = if party == "living_subject" {
        "您的"
    } else {
        "此人的"
    };
    format!(
        "{title}\n\n{opening}\n\n\
使用哪些内容\n\
- 面容：提供给工作室的照片和视频中{whose}面容。\n\
- 声音：提供给工作室的录音和视频中{whose}声音。\n\
您可以自行选择同意哪几项。您未选择的内容不会被使用。\n\n\
用于什么\n\
- 训练：根据提供的材料，建立{whose}面容和声音的计算机模型。\n\
- 数字形象：用该模型制作会说话的数字形象（软件或视频）。\n\
- 实时视频通话：由演员以{whose}面容和声音实时出现的视频通话（仅限此类订单）。\n\
- 家人间分享：让您指定的家人观看数字形象。\n\
- 后续服务：日后另行订购的工作，例如继续训练或新的短片。如后续服务超出您在此同意的范围，会先再次征求同意。\n\
您可以自行选择同意哪几项。\n\n\
数字形象可以怎样使用\n\
仅用于私人的怀念，且仅限您选择的方式：私人观看、互动对话、实时视频通话、家人间分享。\
除非您在此明确授权，否则绝不公开展示、不用于广告、不用于训练其他模型，也不用于任何商业用途。\
工作室制作的所有内容都以可见标识和元数据标明为人工智能生成。\n\n\
记录哪些信息\n\
工作室会随您的答复记录本文的版本、您同意的内容、时间，以及您签署时的网络地址和浏览器，\
并保存您提交的证明材料（例如死亡证明或亲属关系证明）。同意书和工作室的决定保存在一份无法被悄悄篡改的记录中。\n\n\
改变主意\n\
您可以随时撤回本同意。工作会立即停止，订单的照片、录音、视频和个人信息会在 30 天内被销毁；\
您会收到一份销毁证明，列明删除了什么以及何时删除。您也可以随时要求删除全部内容，\
或要求查阅、复制、更正工作室保存的信息。\n\n\
保存多久\n\
为订单提供的照片、录音和视频会在交付后的规定期限内删除，除非订购人选择保留以便后续服务。\
同意书和决定的记录依法至少保存三年；订单被删除后，其中不再含有个人信息。\n"
    )
}

fn zh_actor() -> String {
    "实时视频通话演员的同意书\n\n\
您是将在实时视频通话中通过实时换脸呈现一位逝者形象的演员。这会处理您本人的面容和声音，因此工作室请您表态。\
您完全可以拒绝。请阅读您将同意的内容；签署之前，您可以向工作室询问任何问题。\n\n\
使用哪些内容\n\
- 面容：通话期间摄像头拍到的您的面容。\n\
- 声音：通话期间您的声音。\n\
您可以自行选择同意哪几项。您未选择的内容不会被使用。\n\n\
用于什么\n\
- 实时视频通话：本订单的视频通话，其中您的面容和声音会被实时转换为数字形象的面容和声音。\
训练：仅限这些通话的实时换脸所需的调整。\n\
除此之外不作他用：您的面容和声音不会用于制作数字形象、不会被分享，也不会用于后续服务，除非您另行同意。\n\n\
可以怎样使用\n\
仅限本订单的实时视频通话，作为私人通话，仅面向预约通话的家人。除非您在此明确授权，\
否则通话绝不公开展示、不为广告录制，也不用于任何商业用途。通话画面会向家人标明所见内容为人工智能生成。\n\n\
记录哪些信息\n\
工作室会随您的答复记录本文的版本、您同意的内容、时间，以及您签署时的网络地址和浏览器。\
每次通话结束后会记录：通话时间、时长，以及是否显示了人工智能标识。\n\n\
改变主意\n\
您可以随时撤回本同意。此后不再安排您参加通话，工作室为本订单保存的您的面容和声音会被销毁。\
您也可以随时要求删除，或要求查阅、复制、更正工作室保存的关于您的信息。\n\n\
保存多久\n\
同意书和通话的记录依法至少保存三年；订单被删除后，其中不再含有个人信息。\n"
        .to_owned()
}

fn sha256_hex(body: &str) -> String {
    Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn build_error(err: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("building the default consent texts: {err}"))
}

/// The (party, language) pairs of the default jurisdiction that already have a text.
async fn existing(manager: &SchemaManager<'_>) -> Result<Vec<(String, String)>, DbErr> {
    let select = Query::select()
        .columns([ConsentTexts::Party, ConsentTexts::Language])
        .from(ConsentTexts::Table)
        .and_where(Expr::col(ConsentTexts::Jurisdiction).eq(JURISDICTION))
        .to_owned();
    let db = manager.get_connection();
    let rows = db
        .query_all_raw(manager.get_database_backend().build(&select))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "party")?,
                row.try_get::<String>("", "language")?,
            ))
        })
        .collect()
}

/// One default text and its audit event.
async fn seed(manager: &SchemaManager<'_>, party: &str, language: &str) -> Result<(), DbErr> {
    let id = Uuid::now_v7();
    let now = ChronoUtc::now();
    let body = body(party, language);
    let sha256 = sha256_hex(&body);
    let notes = if language == "zh-CN" {
        NOTE_ZH
    } else {
        NOTE_EN
    };
    let insert = Query::insert()
        .into_table(ConsentTexts::Table)
        .columns([
            ConsentTexts::Id,
            ConsentTexts::Jurisdiction,
            ConsentTexts::Party,
            ConsentTexts::Language,
            ConsentTexts::Version,
            ConsentTexts::Body,
            ConsentTexts::Sha256,
            ConsentTexts::PublishedAt,
            ConsentTexts::PublishedBy,
            ConsentTexts::Notes,
        ])
        .values([
            id.into(),
            JURISDICTION.into(),
            party.into(),
            language.into(),
            1i32.into(),
            body.into(),
            sha256.clone().into(),
            now.into(),
            Uuid::nil().into(),
            notes.into(),
        ])
        .map_err(build_error)?
        .to_owned();
    manager.exec_stmt(insert).await?;
    let detail = serde_json::json!({
        "jurisdiction": JURISDICTION, "party": party, "language": language, "version": 1,
        "sha256": sha256, "default_text": true,
    });
    let audit = Query::insert()
        .into_table(AuditEvents::Table)
        .columns([
            AuditEvents::Id,
            AuditEvents::OccurredAt,
            AuditEvents::Actor,
            AuditEvents::ActorRoles,
            AuditEvents::Outcome,
            AuditEvents::Action,
            AuditEvents::TargetType,
            AuditEvents::TargetId,
            AuditEvents::RequestId,
            AuditEvents::Detail,
        ])
        .values([
            Uuid::now_v7().into(),
            now.into(),
            "system:migration".into(),
            Option::<String>::None.into(),
            "success".into(),
            "consent_text.published".into(),
            "consent_text".into(),
            id.into(),
            Option::<String>::None.into(),
            detail.into(),
        ])
        .map_err(build_error)?
        .to_owned();
    manager.exec_stmt(audit).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend (SQLite's default is none): all of it or nothing, on
    /// one connection.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ConsentTexts::Table)
                    .add_column(text_null(ConsentTexts::Notes))
                    .to_owned(),
            )
            .await?;
        let existing = existing(manager).await?;
        for party in PARTIES {
            for language in LANGUAGES {
                let taken = existing.iter().any(|(p, l)| p == party && l == language);
                if !taken {
                    seed(manager, party, language).await?;
                }
            }
        }
        Ok(())
    }

    /// The defaults stay (consent records may cite them); only the column goes.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ConsentTexts::Table)
                    .drop_column(ConsentTexts::Notes)
                    .to_owned(),
            )
            .await
    }
}
