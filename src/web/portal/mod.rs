//! The customer portal: the landing page, accounts (register, sign in, sign out) and the
//! family's own orders.

mod account;
mod landing;
mod orders;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing::show))
        .route("/signin", get(account::sign_in_form).post(account::sign_in))
        .route("/register", get(account::register_form).post(account::register))
        .route("/signout", axum::routing::post(account::sign_out))
        .route("/orders", get(orders::mine))
}
