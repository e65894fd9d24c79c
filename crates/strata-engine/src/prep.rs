//! Per-picture preparation before scaling: deinterlace, crop, rotation, overlay (in that order:
//! fields are rebuilt on the full coded picture, and overlay positions are in the upright,
//! cropped picture the viewer sees).

use crate::plan::Plan;
use crate::sources::OverlaySpec;
use crate::EngineError;
use strata_core::Frame;

pub(crate) struct Prep {
    deinterlace: Option<bool>,
    crop: Option<(u32, u32, u32, u32)>,
    rotation: u16,
    overlay: Option<(strata_scale::Overlay, OverlaySpec)>,
}

fn filter_err(what: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Internal(format!("{what}: {e}"))
}

impl Prep {
    pub(crate) fn new(plan: &Plan) -> Result<Self, EngineError> {
        let overlay = match &plan.filters.overlay {
            None => None,
            Some(spec) => {
                let base = plan.input.parent().unwrap_or(std::path::Path::new("."));
                let path = base.join(&spec.source);
                let img = strata_scale::Overlay::load(&path).map_err(|e| {
                    EngineError::Preset(strata_preset::PresetError::Invalid {
                        field: "Sources[0].Filters.VideoOverlay.Source".into(),
                        message: e.to_string(),
                    })
                })?;
                let img = match (spec.width, spec.height) {
                    (Some(w), Some(h)) => img.resized(w, h),
                    (Some(w), None) => {
                        let h = (u64::from(w) * u64::from(img.height())
                            / u64::from(img.width().max(1)))
                        .max(1);
                        img.resized(w, h as u32)
                    }
                    (None, Some(h)) => {
                        let w = (u64::from(h) * u64::from(img.width())
                            / u64::from(img.height().max(1)))
                        .max(1);
                        img.resized(w as u32, h)
                    }
                    (None, None) => img,
                };
                Some((img, spec.clone()))
            }
        };
        Ok(Self {
            deinterlace: plan.deinterlace,
            crop: plan.crop,
            rotation: plan.rotation,
            overlay,
        })
    }

    /// Prepares one source picture; `t_s` is its time in seconds from the start of the output.
    pub(crate) fn apply(&self, mut f: Frame, t_s: f64) -> Result<Frame, EngineError> {
        if let Some(tff) = self.deinterlace {
            f = strata_scale::deinterlace(&f, tff);
        }
        if let Some((x, y, w, h)) = self.crop {
            f = strata_scale::crop(&f, x, y, w, h).map_err(|e| filter_err("crop", e))?;
        }
        if self.rotation != 0 {
            f = strata_scale::rotate(&f, i32::from(self.rotation))
                .map_err(|e| filter_err("rotate", e))?;
        }
        if let Some((img, spec)) = &self.overlay {
            let a = spec.opacity_at(t_s);
            if a > 0.0 {
                img.blend_into(&mut f, spec.x, spec.y, a);
            }
        }
        Ok(f)
    }
}
