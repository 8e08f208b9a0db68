//! The customer portal: the landing page, accounts (register, sign in, sign out), the
//! family's own orders, a new order in steps (a draft), and the order page.

mod account;
mod check;
mod consent;
mod draft;
mod follow_up;
mod invitation;
mod landing;
mod order_page;
mod order_sections;
mod orders;
mod privacy;
mod requests;
mod samples;

pub(super) use order_sections::follow_up_status;
pub(super) use samples::uploader_words;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing::show))
        .route("/inquiry", axum::routing::post(landing::inquire))
        .route("/check", get(check::show))
        .route("/inquiry/sent", get(landing::sent))
        .route("/signin", get(account::sign_in_form).post(account::sign_in))
        .route(
            "/register",
            get(account::register_form).post(account::register),
        )
        .route("/signout", axum::routing::post(account::sign_out))
        .route("/orders", get(orders::mine))
        .route("/orders/new", get(draft::new_form).post(draft::create))
        .route("/orders/{id}", get(order_page::show))
        .route(
            "/orders/{id}/about",
            get(draft::about_form).post(draft::save_about),
        )
        .route(
            "/orders/{id}/questions",
            get(draft::questions_form).post(draft::save_questions),
        )
        .route("/orders/{id}/samples", get(samples::show))
        .route(
            "/orders/{id}/consent",
            get(consent::show).post(consent::sign),
        )
        .route(
            "/orders/{id}/invitations",
            axum::routing::post(consent::invite),
        )
        .route(
            "/invitations/{order}/{token}",
            get(invitation::show).post(invitation::answer),
        )
        .route("/orders/{id}/files/{file}", get(order_sections::download))
        .route("/orders/{id}/privacy", get(privacy::show))
        .route(
            "/orders/{id}/privacy/keep",
            axum::routing::post(privacy::keep),
        )
        .route(
            "/orders/{id}/consents/{consent}/withdraw",
            axum::routing::post(privacy::withdraw),
        )
        .route("/orders/{id}/erase", axum::routing::post(privacy::erase))
        .route("/orders/{id}/certificate", get(privacy::certificate))
        .route(
            "/orders/{id}/certificate.json",
            get(privacy::certificate_file),
        )
        .route(
            "/orders/{id}/iterations/{iteration}/consent",
            get(follow_up::show).post(follow_up::sign),
        )
        .route("/requests", get(requests::mine).post(requests::file))
        .route("/requests/new", get(requests::new_form))
        .route("/requests/{id}", get(requests::show))
        .route("/requests/{id}/export", get(requests::export))
        .route(
            "/orders/{id}/submit",
            axum::routing::post(order_page::submit),
        )
}
