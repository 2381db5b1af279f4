use super::{Db, DbResult, Tx};
use crate::args;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AreaRow {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: String,
    pub town_code: Option<String>,
    pub sort: i32,
}

pub async fn all(db: &Db) -> DbResult<Vec<AreaRow>> {
    db.conn()
        .fetch_all(
            "SELECT code, name, parent_code, level, town_code, sort FROM areas ORDER BY sort",
            vec![],
        )
        .await
}

pub async fn count(db: &Db) -> DbResult<i64> {
    db.conn().scalar("SELECT COUNT(*) FROM areas", vec![]).await
}

pub async fn upsert(tx: &mut Tx, a: &AreaRow) -> DbResult<()> {
    let n = tx
        .execute(
            "UPDATE areas SET name = $2, parent_code = $3, level = $4, town_code = $5, sort = $6 WHERE code = $1",
            args![&a.code, &a.name, a.parent_code.clone(), &a.level, a.town_code.clone(), a.sort],
        )
        .await?;
    if n == 0 {
        tx.execute(
            "INSERT INTO areas (code, name, parent_code, level, town_code, sort) VALUES ($1, $2, $3, $4, $5, $6)",
            args![&a.code, &a.name, a.parent_code.clone(), &a.level, a.town_code.clone(), a.sort],
        )
        .await?;
    }
    Ok(())
}
