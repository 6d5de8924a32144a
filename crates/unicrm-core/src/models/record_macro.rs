//! `unified_record!`: declares a unified record, its new-record type and its patch type from
//! one field list, so the three can never drift apart.

/// Declares `$name` (the record as read), `$new` (what a create sends) and `$patch` (what an
/// update sends), plus `From<&$name> for $new`, `$patch::apply`, and the [`Record`](crate::Record)
/// impl that ties the record to its accessor on [`Crm`](crate::Crm).
///
/// Field groups: `required` fields are plain `T`, `optional` fields are `Option<T>`, `lists` are
/// `Vec<T>`. In the patch every field is a [`Patch`](crate::Patch).
macro_rules! unified_record {
    (
        $(#[$meta:meta])*
        record $name:ident / $new:ident / $patch:ident, id $id:ty, kind $kind:ident, accessor $accessor:ident;
        required { $( $(#[$rmeta:meta])* $rfield:ident : $rty:ty ),* $(,)? }
        optional { $( $(#[$ometa:meta])* $ofield:ident : $oty:ty ),* $(,)? }
        lists { $( $(#[$lmeta:meta])* $lfield:ident : $lty:ty ),* $(,)? }
    ) => {
        $(#[$meta])*
        ///
        /// `raw` holds the vendor's payload (omitted from JSON when absent).
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            /// The vendor's id of this record.
            pub id: $id,
            $( $(#[$rmeta])* #[serde(default)] pub $rfield: $rty, )*
            $( $(#[$ometa])* #[serde(default)] pub $ofield: Option<$oty>, )*
            $( $(#[$lmeta])* #[serde(default)] pub $lfield: Vec<$lty>, )*
            /// When the record was created, per the vendor.
            #[serde(default)]
            pub created_at: Option<chrono::DateTime<chrono::Utc>>,
            /// When the record was last changed, per the vendor.
            #[serde(default)]
            pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
            /// The vendor's payload this record was mapped from.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub raw: Option<crate::RawPayload>,
        }

        #[doc = concat!("A new [`", stringify!($name), "`] to create.")]
        ///
        /// `vendor_fields` are sent to the vendor as they are, merged into the mapped body: the
        /// escape hatch for vendor fields unicrm does not model.
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        pub struct $new {
            $( $(#[$rmeta])* #[serde(default)] pub $rfield: $rty, )*
            $( $(#[$ometa])* #[serde(default)] pub $ofield: Option<$oty>, )*
            $( $(#[$lmeta])* #[serde(default)] pub $lfield: Vec<$lty>, )*
            /// Vendor fields sent as they are.
            #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
            pub vendor_fields: serde_json::Map<String, serde_json::Value>,
        }

        #[doc = concat!("Changes to a [`", stringify!($name), "`]: absent fields are left untouched.")]
        ///
        /// List fields are replaced as a whole when set; the adapter works out the vendor's
        /// row-level operations.
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        pub struct $patch {
            $( $(#[$rmeta])* #[serde(default, skip_serializing_if = "crate::Patch::is_unchanged")] pub $rfield: crate::Patch<$rty>, )*
            $( $(#[$ometa])* #[serde(default, skip_serializing_if = "crate::Patch::is_unchanged")] pub $ofield: crate::Patch<$oty>, )*
            $( $(#[$lmeta])* #[serde(default, skip_serializing_if = "crate::Patch::is_unchanged")] pub $lfield: crate::Patch<Vec<$lty>>, )*
            /// Vendor fields sent as they are.
            #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
            pub vendor_fields: serde_json::Map<String, serde_json::Value>,
        }

        impl $patch {
            /// Applies the patch to a record in memory (what the vendor is expected to do).
            pub fn apply(self, target: &mut $name) {
                $( self.$rfield.apply_to_required(&mut target.$rfield); )*
                $( self.$ofield.apply_to(&mut target.$ofield); )*
                $( self.$lfield.apply_to_list(&mut target.$lfield); )*
            }

            /// `true` when the patch changes nothing.
            pub fn is_empty(&self) -> bool {
                true $( && self.$rfield.is_unchanged() )*
                     $( && self.$ofield.is_unchanged() )*
                     $( && self.$lfield.is_unchanged() )*
                     && self.vendor_fields.is_empty()
            }

            /// The names of the fields this patch touches (unified snake_case names).
            pub fn touched_fields(&self) -> Vec<&'static str> {
                let mut out = Vec::new();
                $( if !self.$rfield.is_unchanged() { out.push(stringify!($rfield)); } )*
                $( if !self.$ofield.is_unchanged() { out.push(stringify!($ofield)); } )*
                $( if !self.$lfield.is_unchanged() { out.push(stringify!($lfield)); } )*
                out
            }
        }

        impl $new {
            /// Every unified field a create may set (snake_case, as in JSON).
            pub const FIELDS: &'static [&'static str] = &[
                $( stringify!($rfield), )*
                $( stringify!($ofield), )*
                $( stringify!($lfield), )*
            ];

            /// The fields this new record sets: every required field, optional fields that are
            /// `Some`, list fields that are not empty.
            pub fn set_fields(&self) -> Vec<&'static str> {
                let mut out = vec![$( stringify!($rfield), )*];
                $( if self.$ofield.is_some() { out.push(stringify!($ofield)); } )*
                $( if !self.$lfield.is_empty() { out.push(stringify!($lfield)); } )*
                out
            }
        }

        impl From<&$name> for $new {
            /// Copies every writable field: the basis of migrations between CRMs.
            fn from(r: &$name) -> Self {
                $new {
                    $( $rfield: r.$rfield.clone(), )*
                    $( $ofield: r.$ofield.clone(), )*
                    $( $lfield: r.$lfield.clone(), )*
                    vendor_fields: serde_json::Map::new(),
                }
            }
        }

        impl From<$new> for $patch {
            /// A patch that sets every field of `new` (absent optional fields are left untouched).
            fn from(n: $new) -> Self {
                $patch {
                    $( $rfield: crate::Patch::Set(n.$rfield), )*
                    $( $ofield: match n.$ofield { Some(v) => crate::Patch::Set(v), None => crate::Patch::Unchanged }, )*
                    $( $lfield: if n.$lfield.is_empty() { crate::Patch::Unchanged } else { crate::Patch::Set(n.$lfield) }, )*
                    vendor_fields: n.vendor_fields,
                }
            }
        }

        impl crate::Record for $name {
            type Id = $id;
            type New = $new;
            type Patch = $patch;
            const KIND: crate::ResourceKind = crate::ResourceKind::$kind;
            const FIELDS: &'static [&'static str] = $new::FIELDS;

            fn id(&self) -> &$id {
                &self.id
            }

            fn updated_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
                self.updated_at
            }

            fn new_fields(new: &$new) -> Vec<&'static str> {
                new.set_fields()
            }

            fn patch_fields(patch: &$patch) -> Vec<&'static str> {
                patch.touched_fields()
            }

            fn resource<C: crate::Crm + ?Sized>(crm: &C) -> &dyn crate::Resource<Self> {
                crm.$accessor()
            }
        }
    };
}
