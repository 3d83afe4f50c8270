//! Balance alerts: fire once when an asset's balance on a credential reaches a threshold.
//! Few per (credential, asset), so a short list each; they work whatever the trading switch.

use std::collections::HashMap;

use rust_decimal::Decimal;
use tradeward_domain::CredentialId;

use crate::error::ArmError;
use crate::event::{BalanceAlertFired, Event};
use crate::spec::{BalanceAlertSpec, BalanceCondition, TriggerId};

const ASSET_MAX: usize = 20;

#[derive(Debug, Default)]
pub(crate) struct BalanceAlerts {
    by_key: HashMap<(CredentialId, String), Vec<(u64, BalanceAlertSpec)>>,
    index: HashMap<TriggerId, (CredentialId, String)>,
    next_seq: u64,
}

impl BalanceAlerts {
    pub(crate) fn contains(&self, id: TriggerId) -> bool {
        self.index.contains_key(&id)
    }

    pub(crate) fn arm(&mut self, mut spec: BalanceAlertSpec) -> Result<(), ArmError> {
        let asset = spec.asset.to_ascii_uppercase();
        if asset.is_empty()
            || asset.len() > ASSET_MAX
            || !asset.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ArmError::Text {
                what: "asset (letters and digits)",
                max: ASSET_MAX,
            });
        }
        let (BalanceCondition::AtOrBelow(t) | BalanceCondition::AtOrAbove(t)) = spec.condition;
        if t < Decimal::ZERO {
            return Err(ArmError::NegativeThreshold(t));
        }
        spec.asset = asset.clone();
        let key = (spec.credential, asset);
        self.index.insert(spec.id, key.clone());
        self.by_key
            .entry(key)
            .or_default()
            .push((self.next_seq, spec));
        self.next_seq += 1;
        Ok(())
    }

    pub(crate) fn cancel(&mut self, id: TriggerId) -> bool {
        let Some(key) = self.index.remove(&id) else {
            return false;
        };
        if let Some(list) = self.by_key.get_mut(&key) {
            list.retain(|(_, s)| s.id != id);
            if list.is_empty() {
                self.by_key.remove(&key);
            }
        }
        true
    }

    /// A new balance; fires (in arming order) and removes every alert it meets.
    pub(crate) fn on_balance(
        &mut self,
        credential: CredentialId,
        asset: &str,
        balance: Decimal,
        out: &mut Vec<Event>,
    ) {
        let key = (credential, asset.to_ascii_uppercase());
        let Some(list) = self.by_key.get_mut(&key) else {
            return;
        };
        let index = &mut self.index;
        list.retain(|(_, spec)| {
            let met = match spec.condition {
                BalanceCondition::AtOrBelow(t) => balance <= t,
                BalanceCondition::AtOrAbove(t) => balance >= t,
            };
            if met {
                index.remove(&spec.id);
                out.push(Event::BalanceAlert(BalanceAlertFired {
                    id: spec.id,
                    owner: spec.owner,
                    credential: spec.credential,
                    asset: spec.asset.clone(),
                    condition: spec.condition,
                    balance,
                }));
            }
            !met
        });
        if list.is_empty() {
            self.by_key.remove(&key);
        }
    }

    /// Every armed balance alert, in arming order.
    pub(crate) fn snapshot(&self) -> Vec<BalanceAlertSpec> {
        let mut all: Vec<&(u64, BalanceAlertSpec)> = self.by_key.values().flatten().collect();
        all.sort_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, s)| s.clone()).collect()
    }
}
