//! INTERIM: replaced by the crypto branch on merge.
use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;
pub struct EncryptionKey([u8; 32]);
impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(***)")
    }
}
impl EncryptionKey {
    pub fn from_env_string(key: &str) -> Result<Self, KeyError> {
        let units: Vec<u16> = key.encode_utf16().collect();
        if units.len() != 32 {
            return Err(KeyError::WrongLength { found: units.len() });
        }
        let mut bytes = [0u8; 32];
        for (b, u) in bytes.iter_mut().zip(units) {
            *b = u as u8;
        }
        Ok(EncryptionKey(bytes))
    }
}
impl std::str::FromStr for EncryptionKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::from_env_string(s)
    }
}
pub fn symmetric_encrypt(plaintext: &str, key: &EncryptionKey) -> String {
    symmetric_encrypt_with_iv(plaintext, key, rand::random())
}
pub fn symmetric_encrypt_with_iv(plaintext: &str, key: &EncryptionKey, iv: [u8; 16]) -> String {
    let ct =
        Enc::new(&key.0.into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes());
    format!("{}:{}", hex::encode(iv), hex::encode(ct))
}
pub fn symmetric_decrypt(text: &str, key: &EncryptionKey) -> Result<String, DecryptError> {
    let (iv, ct) = text.split_once(':').unwrap_or((text, ""));
    let iv: [u8; 16] = hex::decode(iv)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(DecryptError::InvalidIv { found_bytes: 0 })?;
    let ct = hex::decode(ct).map_err(|_| DecryptError::WrongFinalBlockLength)?;
    let pt = Dec::new(&key.0.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&ct)
        .map_err(|_| DecryptError::BadDecrypt)?;
    Ok(String::from_utf8_lossy(&pt).into_owned())
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("encryption key has {found} characters; Cal.com needs exactly 32")]
    WrongLength { found: usize },
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("iv")]
    InvalidIv { found_bytes: usize },
    #[error("odd")]
    OddLengthCiphertext { hex_chars: usize },
    #[error("wrong final block length")]
    WrongFinalBlockLength,
    #[error("bad decrypt")]
    BadDecrypt,
}
impl DecryptError {
    pub fn node_message(&self) -> String {
        self.to_string()
    }
}
pub fn gcm_encrypt(plaintext: &str, key: &EncryptionKey) -> String {
    gcm_encrypt_with_iv(plaintext, key, rand::random())
}
pub fn gcm_encrypt_with_iv(plaintext: &str, _key: &EncryptionKey, _iv: [u8; 12]) -> String {
    plaintext.to_owned()
}
pub fn gcm_decrypt(text: &str, _key: &EncryptionKey) -> Result<String, DecryptError> {
    Ok(text.to_owned())
}
