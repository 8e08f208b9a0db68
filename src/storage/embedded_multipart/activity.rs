//! Who is writing to an upload right now. Parts written in place share one data file, so a
//! completion must not hash and publish it while a part is still being written into it, and
//! two requests must not write the same part's bytes at once. The embedded store is one
//! process, so this is an in-memory register. (Abort does not wait: it removes the upload, and
//! a part that was on its way removes what it wrote when it ends.)

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use s3s::{S3Result, s3_error};
use uuid::Uuid;

#[derive(Default)]
struct Activity {
    parts: HashSet<i32>,
    completing: bool,
}

#[derive(Default)]
pub(super) struct Register {
    uploads: Mutex<HashMap<Uuid, Activity>>,
}

/// Held while a part is written or an upload completed; releases on drop.
pub(super) struct Held<'a> {
    register: &'a Register,
    upload_id: Uuid,
    part: Option<i32>,
}

impl Register {
    pub fn writing_part(&self, upload_id: Uuid, number: i32) -> S3Result<Held<'_>> {
        let mut uploads = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let activity = uploads.entry(upload_id).or_default();
        if activity.completing {
            return Err(s3_error!(
                NoSuchUpload,
                "the upload is being completed; it takes no more parts"
            ));
        }
        if !activity.parts.insert(number) {
            return Err(s3_error!(
                OperationAborted,
                "part {number} is being uploaded by another request; try again"
            ));
        }
        Ok(Held {
            register: self,
            upload_id,
            part: Some(number),
        })
    }

    /// For completing the upload: no part may be in flight (`InvalidPart`: finish it first).
    pub fn completing(&self, upload_id: Uuid) -> S3Result<Held<'_>> {
        let mut uploads = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let activity = uploads.entry(upload_id).or_default();
        if let Some(part) = activity.parts.iter().min() {
            return Err(s3_error!(
                InvalidPart,
                "part {part} is still being uploaded"
            ));
        }
        if activity.completing {
            return Err(s3_error!(
                OperationAborted,
                "the upload is already being completed"
            ));
        }
        activity.completing = true;
        Ok(Held {
            register: self,
            upload_id,
            part: None,
        })
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut uploads = self
            .register
            .uploads
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(activity) = uploads.get_mut(&self.upload_id) {
            match self.part {
                Some(number) => {
                    activity.parts.remove(&number);
                }
                None => activity.completing = false,
            }
            if activity.parts.is_empty() && !activity.completing {
                uploads.remove(&self.upload_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_completion_exclude_each_other() {
        let register = Register::default();
        let id = Uuid::new_v4();
        let part1 = register.writing_part(id, 1).unwrap();
        assert!(register.writing_part(id, 1).is_err(), "same part twice");
        let part2 = register.writing_part(id, 2).unwrap();
        assert!(register.completing(id).is_err(), "parts in flight");
        drop((part1, part2));
        let done = register.completing(id).unwrap();
        assert!(register.writing_part(id, 3).is_err(), "completing");
        assert!(register.completing(id).is_err(), "completing twice");
        drop(done);
        assert!(register.writing_part(id, 3).is_ok(), "released");
        assert!(register.uploads.lock().unwrap().is_empty(), "nothing left");
    }
}
