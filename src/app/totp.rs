//! The second factor of staff logins (等保三级 身份鉴别): TOTP enrolment from 我的账号 with a QR code drawn by the
//! server, confirmation by a first code, single-use recovery codes, and the administrator's reset. The arithmetic
//! is RFC 6238 in `minzheng_domain::totp`.

use super::audit::{self, Event};
use super::auth::sha256_hex;
use super::authz::Permission;
use super::{App, AppError, AppResult, Ctx};
use crate::storage::now;
use crate::storage::users::{self as store, TotpRow};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use minzheng_domain::totp as rules;
use rand::TryRng;

/// The issuer an authenticator app shows beside the account.
pub const ISSUER: &str = "民政云平台";
/// Recovery codes handed out at enrolment, each 80 random bits (16 base32 characters).
pub const RECOVERY_CODES: usize = 10;

/// A 32-byte key written as 64 hex digits.
pub fn parse_key(text: &str) -> Option<[u8; 32]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

/// Seals a secret for the database: ChaCha20-Poly1305 under MINZHENG_TOTP_KEY with a random nonce, bound to the
/// user (a sealed secret copied to another user's row does not open). Without a key it is stored as it is — the
/// README tells deployments to set one.
fn seal(app: &App, user_id: &str, secret: &[u8]) -> String {
    match app.security().totp_key {
        Some(k) => {
            let mut nonce = [0u8; 12];
            rand::rngs::SysRng
                .try_fill_bytes(&mut nonce)
                .expect("the operating system\'s random source");
            let sealed = ChaCha20Poly1305::new(&k.into())
                .encrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: secret,
                        aad: user_id.as_bytes(),
                    },
                )
                .expect("ChaCha20-Poly1305 sealing");
            format!("v1:{}{}", hex::encode(nonce), hex::encode(sealed))
        }
        None => format!("plain:{}", hex::encode(secret)),
    }
}

fn open(app: &App, user_id: &str, stored: &str) -> AppResult<Vec<u8>> {
    let broken = || {
        AppError::Internal(anyhow::anyhow!(
            "无法读取用户的动态口令密钥（MINZHENG_TOTP_KEY 是否与保存时相同？）"
        ))
    };
    if let Some(h) = stored.strip_prefix("plain:") {
        return hex::decode(h).map_err(|_| broken());
    }
    let raw = stored
        .strip_prefix("v1:")
        .and_then(|h| hex::decode(h).ok())
        .filter(|b| b.len() > 12)
        .ok_or_else(broken)?;
    let k = app.security().totp_key.ok_or_else(broken)?;
    ChaCha20Poly1305::new(&k.into())
        .decrypt(
            Nonce::from_slice(&raw[..12]),
            Payload {
                msg: &raw[12..],
                aad: user_id.as_bytes(),
            },
        )
        .map_err(|_| broken())
}

fn recovery_hash(user_id: &str, code: &str) -> String {
    sha256_hex(&format!(
        "{user_id}\u{1f}{}",
        rules::normalise_recovery(code)
    ))
}

/// Where a user stands with the second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrolment {
    None,
    /// A secret waits for its first code.
    Pending,
    Confirmed,
}

pub async fn enrolment(app: &App, user_id: &str) -> AppResult<Enrolment> {
    Ok(match store::totp_of(&app.db, user_id).await? {
        None => Enrolment::None,
        Some(r) if r.confirmed_at.is_none() => Enrolment::Pending,
        Some(_) => Enrolment::Confirmed,
    })
}

/// What the enrolment page shows: the QR code (an SVG drawn here, no script) and the same secret as text.
pub struct Pending {
    pub secret_base32: String,
    pub uri: String,
    pub qr_svg: String,
}

fn otpauth_uri(username: &str, secret: &[u8]) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // the label's colon must stay a colon (Key Uri Format); everything else is percent-encoded
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
        enc(ISSUER).replace('+', "%20"),
        enc(username).replace('+', "%20"),
        rules::to_base32(secret),
        enc(ISSUER).replace('+', "%20"),
        rules::DIGITS,
        rules::STEP_SECS
    )
}

fn qr_svg(uri: &str) -> AppResult<String> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("二维码生成失败: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// Starts (or shows again) the caller's enrolment: a new secret unless one already waits. A confirmed enrolment
/// is not shown again (the administrator resets it).
pub async fn begin(app: &App, ctx: &Ctx) -> AppResult<Pending> {
    let user_id = ctx.actor.user_id.clone().ok_or(AppError::Unauthenticated)?;
    let existing = store::totp_of(&app.db, &user_id).await?;
    let secret = match existing {
        Some(r) if r.confirmed_at.is_some() => {
            return Err(AppError::conflict(
                "totp",
                "已绑定动态口令；如需更换手机，请联系系统管理员重置",
            ));
        }
        Some(r) => open(app, &user_id, &r.secret)?,
        None => {
            let mut s = vec![0u8; rules::SECRET_BYTES];
            rand::rngs::SysRng
                .try_fill_bytes(&mut s)
                .expect("the operating system\'s random source");
            let mut tx = app.db.begin().await?;
            // audited when the first code confirms it (auth.totp.enrol)
            tx.unaudited("a second factor's secret waiting for its first code");
            store::put_totp(
                &mut tx,
                &TotpRow {
                    user_id: user_id.clone(),
                    secret: seal(app, &user_id, &s),
                    confirmed_at: None,
                    last_step: -1,
                    created_at: now(),
                },
            )
            .await?;
            tx.commit().await?;
            s
        }
    };
    let uri = otpauth_uri(&ctx.actor.username, &secret);
    Ok(Pending {
        secret_base32: rules::to_base32(&secret),
        qr_svg: qr_svg(&uri)?,
        uri,
    })
}

/// Confirms the waiting enrolment with its first code; returns the recovery codes (shown once, stored hashed).
pub async fn confirm(app: &App, ctx: &Ctx, code: &str) -> AppResult<Vec<String>> {
    let user_id = ctx.actor.user_id.clone().ok_or(AppError::Unauthenticated)?;
    let t = now();
    let mut tx = app.db.begin().await?;
    let row = store::totp_for_update(&mut tx, &user_id)
        .await?
        .filter(|r| r.confirmed_at.is_none())
        .ok_or_else(|| AppError::conflict("code", "没有等待确认的动态口令，请刷新页面重新开始"))?;
    let secret = open(app, &user_id, &row.secret)?;
    let Some(step) = rules::verify(&secret, code, t.timestamp(), None) else {
        return Err(AppError::invalid(
            "code",
            "动态口令不正确，请输入手机上当前显示的6位数字（并核对手机时间）",
        ));
    };
    store::confirm_totp(&mut tx, &user_id, step, t).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(&user_id, c)).collect();
    store::set_recovery_codes(&mut tx, &user_id, &hashes).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("auth.totp.enrol", "user", &user_id)
            .after(serde_json::json!({"recovery_codes": RECOVERY_CODES})),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// 16 base32 characters in four groups: xxxx-xxxx-xxxx-xxxx.
fn new_recovery_code() -> String {
    let mut b = [0u8; 10];
    rand::rngs::SysRng
        .try_fill_bytes(&mut b)
        .expect("the operating system\'s random source");
    let s = rules::to_base32(&b).to_ascii_lowercase();
    format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..16])
}

/// How a second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    Recovery,
}

impl Factor {
    pub fn code(self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::Recovery => "recovery",
        }
    }
}

/// Checks a confirmed user's code (or a recovery code, used up by this) inside the caller's transaction, with the
/// enrolment row locked: the same code is never accepted twice, even by two logins at once.
pub async fn check(
    app: &App,
    tx: &mut crate::storage::Tx,
    user_id: &str,
    typed: &str,
) -> AppResult<Option<Factor>> {
    let Some(row) = store::totp_for_update(tx, user_id)
        .await?
        .filter(|r| r.confirmed_at.is_some())
    else {
        return Ok(None);
    };
    let t = now();
    if rules::normalise_code(typed).is_some() {
        let secret = open(app, user_id, &row.secret)?;
        return Ok(
            match rules::verify(&secret, typed, t.timestamp(), Some(row.last_step)) {
                Some(step) => {
                    store::set_totp_step(tx, user_id, step).await?;
                    Some(Factor::Totp)
                }
                None => None,
            },
        );
    }
    let used = store::use_recovery_code(tx, user_id, &recovery_hash(user_id, typed), t).await?;
    Ok(used.then_some(Factor::Recovery))
}

/// The administrator's reset (a lost phone): the enrolment and its recovery codes go, the user's sessions and API
/// tokens end; the user enrols again after the next password.
pub async fn reset(app: &App, ctx: &Ctx, username: &str) -> AppResult<()> {
    ctx.actor.require(Permission::ManageUsers)?;
    let u = match store::by_username(&app.db, username).await? {
        Some(u) if ctx.actor.in_scope(&u.area_code) => u,
        _ => return Err(AppError::NotFound(format!("用户 {username} "))),
    };
    let mut tx = app.db.begin().await?;
    let removed = store::delete_totp(&mut tx, &u.id).await?;
    store::delete_sessions_of(&mut tx, &u.id).await?;
    let revoked = store::revoke_all_tokens(&mut tx, &u.id, now()).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("user.totp_reset", "user", &u.id)
            .area(&u.area_code)
            .after(serde_json::json!({"had_totp": removed > 0, "tokens_revoked": revoked})),
    )
    .await?;
    tx.commit().await?;
    app.forget_tokens();
    Ok(())
}

/// For 我的账号: whether the caller is enrolled and how many recovery codes are left.
pub async fn status(app: &App, ctx: &Ctx) -> AppResult<(Enrolment, i64)> {
    let user_id = ctx.actor.user_id.clone().ok_or(AppError::Unauthenticated)?;
    Ok((
        enrolment(app, &user_id).await?,
        store::unused_recovery_codes(&app.db, &user_id).await?,
    ))
}
